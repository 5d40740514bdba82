"""Extractive QA: windows over long contexts with offsets back to characters, the answer chosen
over windows, SQuAD-format rows (answers moved to their text, counted), a tiny model that learns
to extract spans through the real objective and prediction path, perturbations and an attack
that carry the gold answers through their edits."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from xstilts.attack.budget import AttackBudget
from xstilts.attack.spans import SpanAttacker
from xstilts.config import ExecutionConfig, LoopConfig, SamplerConfig
from xstilts.evaluate.cross_language import evaluate_cross_language
from xstilts.evaluate.span_attack import run_span_attack, summarize_span_attack
from xstilts.evaluate.spans import SpanPredictor, clean_records, scored_answers
from xstilts.examples import SpanExample, example_from_dict, example_to_dict
from xstilts.io import write_jsonl
from xstilts.modeling.encoding import collate, sequence_lengths
from xstilts.modeling.model import load_checkpoint
from xstilts.modeling.predict_spans import NO_ANSWER, SpanChoice, best_answer, predict_spans
from xstilts.modeling.span_inputs import NO_OFFSET, Windowing, encode_spans
from xstilts.perturb import build_families
from xstilts.perturb.base import Edit, apply_edits
from xstilts.perturb.examples import perturb_example, with_fields
from xstilts.perturb.resources import Resources
from xstilts.perturb.spans import carry_answers, cuts_edge
from xstilts.qa_metrics import score
from xstilts.report.spans import cross_language_lines
from xstilts.tasks import get_task
from xstilts.tasks.spec import REPAIRED, EmptyText, MisplacedAnswer, RowError
from xstilts.training.loop import Trainer, TrainingRun
from xstilts.training.span_objective import SpanObjective

from .tiny_models import tiny_model, tiny_tokenizer

NAMES = ("ana", "omar", "lena", "ravi", "tom", "mia")
FILLER = ("the sky is blue", "a dog runs", "it rains today", "we eat rice", "the sea is calm")


def toy_example(rng: random.Random, index: int, lang: str = "en") -> SpanExample:
    """A context of filler sentences with one "code NAME" in it; the answer is the name."""
    parts = [rng.choice(FILLER) for _ in range(rng.randint(1, 4))]
    name = rng.choice(NAMES)
    parts.insert(rng.randint(0, len(parts)), f"code {name}")
    context = " . ".join(parts) + " ."
    start = context.index(f"code {name}") + len("code ")
    return SpanExample(str(index), lang, context, "what is the code ?", (name,), (start,))


@pytest.fixture(scope="module")
def tokenizer():
    words = [*NAMES, *" ".join(FILLER).split(), "code", "what", "?", "."]
    lines = [" ".join(random.Random(i).sample(words, len(words))) for i in range(200)]
    return tiny_tokenizer(lines, vocab_size=120)


def test_long_contexts_become_windows_every_doc_stride_tokens(tokenizer) -> None:
    words = " ".join(f"w{i % 7}" for i in range(80))
    context = f"{words} code ana {words}"
    start = context.index("ana")
    example = SpanExample("0", "en", context, "what is the code ?", ("ana",), (start,))
    windowing = Windowing(max_length=48, doc_stride=16, max_query_length=64)
    encoded = encode_spans([example], tokenizer, windowing)
    assert len(encoded) > 3 and encoded.grouped == [list(range(len(encoded)))]
    assert max(encoded.lengths()) <= 48
    # every context token is some window's token of maximal context, exactly once
    context_tokens = [
        (w, i)
        for w in range(len(encoded))
        for i, offset in enumerate(encoded.window_offsets(w))
        if offset[0] != NO_OFFSET
    ]
    best = [(w, i) for w, i in context_tokens if encoded.window_max_context(w)[i]]
    doc = tokenizer(context, add_special_tokens=False)["input_ids"]
    assert len(context_tokens) > len(doc) == len(best)
    # windows holding the answer point at its tokens; the others at <s>
    holding = [w for w in range(len(encoded)) if encoded.answer_start[w] != 0]
    assert holding
    for w in holding:
        offsets = encoded.window_offsets(w)
        first, last = encoded.answer_start[w], encoded.answer_end[w]
        assert context[offsets[first][0] : offsets[last][1]].strip() == "ana"
    # scores back to the text: top logits at the gold tokens give the gold answer
    logits = {v: np.full((n, 2), -9.0, dtype=np.float32) for v, n in enumerate(encoded.lengths())}
    for w in holding:
        logits[w][encoded.answer_start[w], 0] = 9.0
        logits[w][encoded.answer_end[w], 1] = 9.0
    answer = best_answer(encoded, 0, logits, SpanChoice.of())
    assert answer.text == "ana" and context[answer.start : answer.end].strip() == "ana"


def test_answers_respect_the_length_limit_and_the_context(tokenizer) -> None:
    example = SpanExample("0", "en", "the sky is blue code ana", "what is the code ?", (), ())
    encoded = encode_spans([example], tokenizer, Windowing.at(64))
    length = encoded.lengths()[0]
    logits = {0: np.zeros((length, 2), dtype=np.float32)}
    logits[0][1, :] = 50.0  # a question token: never an answer
    offsets = encoded.window_offsets(0)
    first = next(i for i, o in enumerate(offsets) if o[0] != NO_OFFSET)
    last = max(i for i, o in enumerate(offsets) if o[0] != NO_OFFSET)
    logits[0][first, 0], logits[0][last, 1] = 5.0, 5.0
    whole = best_answer(encoded, 0, logits, SpanChoice(20, max_answer_length=64))
    assert whole.text == "the sky is blue code ana"
    short = best_answer(encoded, 0, logits, SpanChoice(20, max_answer_length=2))
    assert len(short.text) < len(whole.text)
    assert best_answer(encoded, 0, {0: np.full((length, 2), np.nan)}, SpanChoice.of()) == NO_ANSWER


def test_long_questions_are_cut_and_counted(tokenizer) -> None:
    example = SpanExample("0", "en", "code ana .", " ".join(["what"] * 80), ("ana",), (5,))
    encoded = encode_spans([example], tokenizer, Windowing(64, 128, 8))
    assert encoded.truncated_questions == 1 and encoded.answer_start[0] != 0
    with pytest.raises(Exception, match="no room for a context"):
        encode_spans([example], tokenizer, Windowing(12, 128, 8))


def test_span_examples_round_trip_and_check_their_offsets() -> None:
    example = SpanExample("q1", "zh", "猫在桌子上。", "猫在哪里？", ("桌子上",), (2,))
    assert example_from_dict("span", example_to_dict(example)) == example
    with pytest.raises(ValueError, match="not at offset"):
        SpanExample("q1", "zh", "猫在桌子上。", "猫在哪里？", ("桌子上",), (1,))


def squad_row(**answers) -> dict:
    return {
        "id": "1",
        "title": "Cats",
        "context": "Tom has a cat. The cat is black.",
        "question": "What does Tom have?",
        "answers": {"text": ["a cat"], "answer_start": [8]} | answers,
    }


def test_squad_rows_convert_and_misplaced_answers_are_moved_and_noted() -> None:
    spec = get_task("squad")
    example, repair = spec.make_example_noting(squad_row(), 0, "en")
    assert example.answers == ("a cat",) and example.starts == (8,) and repair is None
    # a loader that stripped a leading space left every offset one too far: moved, noted
    moved, repair = spec.make_example_noting(squad_row(answer_start=[9]), 0, "en")
    assert moved.starts == (8,) and repair and REPAIRED == "_repaired"
    # the nearest occurrence wins
    row = squad_row(text=["cat"], answer_start=[20])
    assert spec.make_example(row, 0, "en").starts == (19,)
    with pytest.raises(MisplacedAnswer, match="does not occur"):
        spec.make_example(squad_row(text=["a dog"]), 0, "en")
    with pytest.raises(RowError, match="no answer"):
        spec.make_example(squad_row(text=[], answer_start=[]), 0, "en")
    with pytest.raises(EmptyText):
        spec.make_example(squad_row(text=[" "]), 0, "en")
    with pytest.raises(RowError, match="expected an integer"):
        spec.make_example(squad_row(answer_start=["8"]), 0, "en")


def toy_objective(tokenizer, n_train: int, seed: int) -> SpanObjective:
    rng = random.Random(seed)
    train = [toy_example(rng, i) for i in range(n_train)]
    dev = [toy_example(rng, i) for i in range(60)]
    windowing = Windowing(64, doc_stride=32, max_query_length=16)
    return SpanObjective(
        name="squad",
        head="squad",
        train=encode_spans(train, tokenizer, windowing),
        dev=encode_spans(dev, tokenizer, windowing),
        pad_id=tokenizer.pad_token_id,
    )


@pytest.fixture(scope="module")
def trained(tokenizer, tmp_path_factory):
    """A tiny model trained to extract the name after "code" (module-wide: training is the
    slow part of these tests)."""
    model = tiny_model(tokenizer, ("squad",), 0, hidden_size=32, num_hidden_layers=2)
    objective = toy_objective(tokenizer, 400, 0)
    settings = TrainingRun(
        LoopConfig(lr=3e-3, batch_size=16, eval_every=40, checkpoint_every=1000),
        SamplerConfig(),
        120,
        ExecutionConfig(),
    )
    state = tmp_path_factory.mktemp("span-state")
    result = Trainer(model, [objective], settings, 0, state).fit()
    return model, result


def test_a_tiny_model_learns_to_extract_spans_and_predicts_what_dev_scored(
    tokenizer, trained, tmp_path
) -> None:
    model, result = trained
    assert result.best_score >= 0.9, f"dev F1 {result.best_score:.2f}"
    rng = random.Random(0)
    [toy_example(rng, i) for i in range(400)]
    dev = [toy_example(rng, i) for i in range(60)]
    windowing = Windowing(64, doc_stride=32, max_query_length=16)
    answers = predict_spans(model, tokenizer, "squad", dev, windowing)
    f1 = np.mean([score(a.text, e.answers)[1] for a, e in zip(answers, dev, strict=True)])
    assert f1 == pytest.approx(result.best_score)
    # small windows: the same questions, read in pieces, are still answered
    small = predict_spans(model, tokenizer, "squad", dev[:20], Windowing(24, 8, 16))
    small_f1 = [score(a.text, e.answers)[1] for a, e in zip(small, dev[:20], strict=True)]
    assert np.mean(small_f1) > 0.5
    # the head round-trips through a checkpoint
    model.save(tmp_path / "ckpt", tokenizer, {"stage": "test"})
    loaded, _, _ = load_checkpoint(tmp_path / "ckpt", "cpu")
    again = predict_spans(loaded, tokenizer, "squad", dev[:10], windowing)
    assert [a.text for a in again] == [a.text for a in answers[:10]]


def test_encode_and_collate_dispatch_span_windows(tokenizer) -> None:
    examples = [toy_example(random.Random(i), i) for i in range(3)]
    encoded = encode_spans(examples, tokenizer, Windowing.at(64))
    batch = collate(encoded[:3], tokenizer.pad_token_id)
    assert set(batch) == {"input_ids", "attention_mask", "start_positions", "end_positions"}
    assert sequence_lengths(encoded) == encoded.lengths()


@pytest.fixture(scope="module")
def families():
    names = [
        "keyboard",
        "char_swap",
        "char_delete",
        "word_delete",
        "word_swap",
        "word_repeat",
        "spacing",
        "invisible",
    ]
    return build_families(names, Resources())


def _clean_answer_edits(example: SpanExample, edits) -> str:
    """The first answer with the context's edits inside it applied (the rule's prediction)."""
    lo, hi = example.starts[0], example.starts[0] + len(example.answers[0])
    inside = [
        Edit(e.start - lo, e.end - lo, e.replacement)
        for e in edits
        if lo <= e.start and e.end <= hi
    ]
    return apply_edits(example.answers[0], inside).strip()


@pytest.mark.parametrize("seed", range(5))
def test_perturbed_answers_are_the_answer_text_the_context_edits_left(families, seed) -> None:
    context = "Tom has a cat . The cat is black and white and sleeps all day in the sun ."
    start = context.index("black and white")
    question = "What colour is the cat ?"
    example = SpanExample(str(seed), "en", context, question, ("black and white",), (start,))
    for family in families.values():
        for strength in (0.1, 0.5, 1.0):
            perturbed, results = perturb_example(example, family, strength, seed)
            edits = results["context"].edits
            assert not any(cuts_edge(e, start, start + 15) for e in edits)
            assert perturbed.answers[0] == _clean_answer_edits(example, edits)
            assert results["context"].text == apply_edits(context, edits)
            # SpanExample checks each answer is at its offset; the manifest fields rebuild it
            fields = {"question": perturbed.question, "context": perturbed.context}
            fields |= {"answers": list(perturbed.answers), "starts": list(perturbed.starts)}
            assert with_fields(example, fields) == perturbed


def test_answers_are_carried_through_edits_by_the_written_rules() -> None:
    context = "in New York City today"
    lo = context.index("New")
    carry = lambda *edits: carry_answers(context, ["New York City"], [lo], edits)  # noqa: E731
    before = carry(Edit(0, 2, "into"))  # shifts the answer
    assert (before.answers, before.starts) == (("New York City",), (lo + 2,))
    inside = carry(Edit(lo + 4, lo + 9, ""))  # a word deleted inside the answer
    assert inside.answers == ("New City",) and not inside.dropped
    edge = carry(Edit(lo, lo, "x"), Edit(lo + 13, lo + 13, "y"))  # insertions at both edges
    assert edge.answers == ("xNew York Cityy",) and edge.starts == (lo,)
    spaced = carry(Edit(lo + 13, lo + 13, " "))  # whitespace at an edge is trimmed
    assert spaced.answers == ("New York City",)
    swap = Edit(lo + 9, lo + 19, "today City")  # swaps the answer's last word with the next
    cut = carry(swap, Edit(0, 2, "at"))
    assert cut.dropped == (swap,) and cut.edits == (Edit(0, 2, "at"),)
    assert cut.answers == ("New York City",)
    emptied = carry(Edit(lo, lo + 4, ""), Edit(lo + 4, lo + 9, ""), Edit(lo + 9, lo + 13, ""))
    # the last edit inside goes first, until something is left
    assert emptied.answers == ("City",) and emptied.starts == (lo,)
    assert emptied.dropped == (Edit(lo + 9, lo + 13, ""),)
    nothing = carry()
    assert nothing.answers == ("New York City",) and nothing.starts == (lo,)


def test_answers_are_edited_as_often_as_the_context_around_them() -> None:
    """The perturbation says nothing about where the answer is: over many questions, answer
    letters are changed at about the rate of all the context's letters."""
    family = build_families(["keyboard"], Resources())["keyboard"]
    rng = random.Random(3)
    in_answers = answer_letters = changed = letters = 0
    for i in range(300):
        example = toy_example(rng, i)
        _, results = perturb_example(example, family, 0.1, seed=0)
        lo, hi = example.starts[0], example.starts[0] + len(example.answers[0])
        edits = results["context"].edits
        in_answers += sum(1 for e in edits if lo <= e.start and e.end <= hi)
        answer_letters += hi - lo
        changed += len(edits)
        letters += sum(c.isalpha() for c in example.context)
    answer_rate, context_rate = in_answers / answer_letters, changed / letters
    assert 0.5 * context_rate < answer_rate < 2 * context_rate, (answer_rate, context_rate)


def test_a_new_context_without_new_offsets_is_refused() -> None:
    example = SpanExample("0", "en", "Tom has a cat .", "What ?", ("cat",), (10,))
    with pytest.raises(KeyError, match="starts"):
        with_fields(example, {"context": "Tom had a cat ."})


def test_the_attack_lowers_f1_and_carries_the_answers_along(tokenizer, trained) -> None:
    model, _ = trained
    predictor = SpanPredictor(model, tokenizer, "squad", Windowing(64, 32, 16), SpanChoice.of())
    rng = random.Random(1)
    examples = [toy_example(rng, i) for i in range(12)]
    clean = {(r["lang"], r["id"]): r for r in clean_records(examples, predictor(examples), "squad")}
    families = build_families(["word_delete", "word_repeat", "char_swap"], Resources())
    attacker = SpanAttacker(families, lambda xs: scored_answers(predictor, xs), "squad")
    budget = AttackBudget(max_unit_fraction=0.5, max_queries=80, candidates_per_unit=2)
    rows = run_span_attack("typo", attacker, budget, examples, clean, seed=0)
    attacked = [r for r in rows if r["attacked"]]
    assert attacked and all(r["f1"] <= r["clean_f1"] for r in attacked)
    assert any(r["flipped"] for r in attacked), "no question's F1 fell"
    for row in attacked:
        start = row["starts"][0]
        assert row["context"][start:].startswith(row["answers"][0])
        assert row["queries"] <= 80
    summary = summarize_span_attack(rows, (0.1, 0.5))
    en = summary["languages"]["en"]
    assert en["drop"] > 0 and en["f1_at_budget"]["0.5"] == pytest.approx(en["f1"])


def test_cross_language_pairs_are_scored_from_their_own_test_sets(
    tokenizer, trained, tmp_path
) -> None:
    """MLQA's G-XLT: each (context, question) pair's prepared test set answered and scored on
    its own, the means by question and context language, and the report's table from them."""
    model, _ = trained
    predictor = SpanPredictor(model, tokenizer, "squad", Windowing(64, 32, 16), SpanChoice.of())
    rng = random.Random(5)
    pairs = [("de", "en"), ("en", "de"), ("zh", "en")]
    expected = {}
    for context, question in pairs:
        examples = [toy_example(rng, i, lang=context) for i in range(6 + len(expected))]
        # the first few questions of each pair get the context's first word as their gold
        # answer (never the model's), so the pairs' F1 differ
        for i in range(len(expected) + 1):
            first = examples[i].context.split()[0]
            examples[i] = dataclasses.replace(examples[i], answers=(first,), starts=(0,))
        path = tmp_path / "mlqa" / f"test-question-{question}.{context}.jsonl"
        write_jsonl(path, (example_to_dict(e) for e in examples))
        answers = predictor(examples)
        f1 = [score(a.text, e.answers)[1] for a, e in zip(answers, examples, strict=True)]
        expected[f"{context}-{question}"] = (float(np.mean(f1)), len(examples))
    result = evaluate_cross_language(
        predictor, tmp_path, "mlqa", pairs, "squad", {"en": 0.9, "de": 0.5}
    )
    assert {k: v["n"] for k, v in result["pairs"].items()} == {"de-en": 6, "en-de": 7, "zh-en": 8}
    f1 = {k: v[0] for k, v in expected.items()}
    assert {k: v["f1"] for k, v in result["pairs"].items()} == pytest.approx(f1)
    assert len(set(f1.values())) == 3 and max(f1.values()) < 1
    assert result["mean_f1"] == pytest.approx(np.mean(list(f1.values())))
    assert result["by_question"] == pytest.approx(
        {"de": f1["en-de"], "en": (f1["de-en"] + f1["zh-en"]) / 2}
    )
    assert result["by_context"] == pytest.approx(
        {"de": f1["de-en"], "en": f1["en-de"], "zh": f1["zh-en"]}
    )
    assert result["same_language_mean_f1"] == pytest.approx(0.7)
    lines = cross_language_lines("mlqa", {"none": [{"cross_language": result}], "multi": [{}]})
    header = next(line for line in lines if line.startswith("| condition"))
    assert header.endswith("| questions in de | questions in en |")
    rows = [line for line in lines if line.startswith("| none")]
    assert rows == [
        f"| none | 70.0 | {100 * result['mean_f1']:.1f} | {100 * f1['en-de']:.1f} | "
        f"{100 * result['by_question']['en']:.1f} |"
    ]
    assert not any(line.startswith("| multi") for line in lines)
    assert cross_language_lines("mlqa", {"none": [{}]}) == []
