"""The effective-perturbation check compares what the model gets: an edit that the tokenizer
erases, or that truncation at the task's max length cuts off, was never seen and is not
effective; the same edit inside the kept part is."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from xstilts.evaluate.perturbed_set import PerturbedExample
from xstilts.evaluate.under_perturbation import EffectiveCheck, model_inputs
from xstilts.examples import ChoiceExample, Example, PairExample

from .conftest import REPO

PREMISE = "Arjun takes 7 keys in the city. Mei throws 8 heavy cookies in the park."


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(REPO / "pretrained")


def item(clean: Example, perturbed: Example) -> PerturbedExample:
    return PerturbedExample("char_swap@0.1", clean, perturbed, units=10, edited=1)


def effective_flags(inputs, items) -> list[bool]:
    return EffectiveCheck(inputs)(items)


def test_an_edit_past_the_max_length_is_not_effective(tokenizer) -> None:
    clean = PairExample("1", "en", PREMISE, "Arjun takes keys.", 0)
    at_the_end = PairExample("1", "en", PREMISE.replace("park", "prak"), "Arjun takes keys.", 0)
    at_the_start = PairExample("1", "en", PREMISE.replace("Arjun", "Ajrun"), "Arjun takes keys.", 0)
    pairs = [item(clean, at_the_end), item(clean, at_the_start)]
    assert effective_flags(model_inputs(tokenizer, 128), pairs) == [True, True]
    assert effective_flags(model_inputs(tokenizer, 16), pairs) == [False, True]


def test_a_choice_contexts_truncated_end_is_not_effective(tokenizer) -> None:
    """Choice examples truncate only their context, from its end: an edit there is cut off,
    an edit in a choice never is."""
    choices = ("the carrot", "3 cars")
    clean = ChoiceExample("1", "en", PREMISE, "What does Arjun take?", choices, 0)
    in_context = ChoiceExample(
        "1", "en", PREMISE.replace("park", "prak"), "What does Arjun take?", choices, 0
    )
    in_choice = ChoiceExample(
        "1", "en", PREMISE, "What does Arjun take?", ("the carrto", "3 cars"), 0
    )
    items = [item(clean, in_context), item(clean, in_choice)]
    assert effective_flags(model_inputs(tokenizer, 128), items) == [True, True]
    assert effective_flags(model_inputs(tokenizer, 24), items) == [False, True]


def test_an_edit_the_tokenizer_erases_is_not_effective(tokenizer) -> None:
    """XLM-R's normaliser maps a no-break space to a space: same ids, not effective."""
    clean = PairExample("1", "en", PREMISE, "Arjun takes keys.", 0)
    nbsp = PairExample("1", "en", PREMISE.replace(" ", "\u00a0", 1), "Arjun takes keys.", 0)
    assert effective_flags(model_inputs(tokenizer, 128), [item(clean, nbsp)]) == [False]


def test_clean_inputs_are_encoded_once_for_every_variant(tokenizer) -> None:
    encoded: list[str] = []
    inputs = model_inputs(tokenizer, 128)

    def counting(examples):
        encoded.extend(e.text_a for e in examples)
        return inputs(examples)

    check = EffectiveCheck(counting)
    clean = PairExample("1", "en", PREMISE, "Arjun takes keys.", 0)
    swapped = PairExample("1", "en", PREMISE.replace("park", "prak"), "Arjun takes keys.", 0)
    assert check([item(clean, swapped)]) == [True]
    assert check([item(clean, clean)]) == [False]  # a second variant: only its input is new
    assert encoded == [PREMISE, swapped.text_a, PREMISE]
