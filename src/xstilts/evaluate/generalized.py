"""The generalized cross-lingual setting: a sentence pair whose two texts are in two languages.

XNLI's and PAWS-X's test sets are one set of pairs translated into every language, so a pair's
first text in language A can be joined with its own second text in language B (same example id,
same label). Zero-shot transfer is then asked more of: the model, trained on English pairs, must
relate two texts in two different languages. For every test example of the perturbed subsample
(the first `robustness.max_examples` of each language) and every other language B of the task,
the `perturb` stage writes one record of variant `generalized@B`: the example of language A with
its second text replaced by language B's. Its manifest entry is that of a perturbation (one
edit replacing the whole second text; one unit, edited), with `partner` naming B and no
strength, so the evaluate stage predicts it like any perturbed input, against the clean
same-language example; its metrics go to their own `generalized` key, and the report gives the
setting its own accuracy matrices and comparisons (`xstilts.report.generalized`).

An id without a partner in language B (a test set that lost a row) pairs with nothing there; an
id whose label differs between two languages is an error (the sets are not parallel).
Only pair tasks whose spec declares `parallel_test` take part; `robustness.generalized: false`
turns the setting off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xstilts.config import Params
from xstilts.errors import XstiltsError
from xstilts.examples import Example, PairExample
from xstilts.tasks import get_task

FAMILY = "generalized"
PARTNER_FIELD = "text_b"


def applies(params: Params, task: str) -> bool:
    """Whether `task` is evaluated in the generalized setting under `params`."""
    spec = get_task(task)
    return params.robustness.generalized and spec.kind == "pair" and spec.parallel_test


def variant(partner: str) -> str:
    """The variant name of pairs whose second text is in language `partner`."""
    return f"{FAMILY}@{partner}"


def is_generalized(name: str) -> bool:
    return name.startswith(f"{FAMILY}@")


def partner_of(name: str) -> str:
    return name.removeprefix(f"{FAMILY}@")


def generalized_records(examples: Sequence[Example], seed: int) -> list[dict[str, Any]]:
    """One manifest record per (example, other language with the same id), in the order of
    `examples`, partners sorted by language."""
    by_id: dict[str, dict[str, PairExample]] = {}
    for example in examples:
        if isinstance(example, PairExample):
            by_id.setdefault(example.id, {})[example.lang] = example
    return [
        _record(example, partner, seed)
        for example in examples
        if isinstance(example, PairExample)
        for lang, partner in sorted(by_id[example.id].items())
        if lang != example.lang
    ]


def _record(example: PairExample, partner: PairExample, seed: int) -> dict[str, Any]:
    if partner.label != example.label:
        raise XstiltsError(
            f"test example {example.id!r} has label {example.label} in {example.lang} but "
            f"{partner.label} in {partner.lang}: its test sets are not translations of one "
            "another, so the generalized setting cannot pair them (robustness.generalized: false)"
        )
    text = getattr(partner, PARTNER_FIELD)
    return {
        "id": example.id,
        "lang": example.lang,
        "variant": variant(partner.lang),
        "family": FAMILY,
        "partner": partner.lang,
        "seed": seed,
        "fields": {PARTNER_FIELD: text},
        "edits": {PARTNER_FIELD: [[0, len(getattr(example, PARTNER_FIELD)), text]]},
        "units": 1,
        "edited": 1,
    }
