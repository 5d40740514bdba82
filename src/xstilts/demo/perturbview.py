"""One seeded perturbation of an example, and what the page needs to show its edits.

Perturbing is the evaluation's own `xstilts.perturb.examples.perturb_example`: every free-text
field (a multiple-choice question such as XCOPA's "cause"/"effect" keyword is a cue, not text,
and is left alone), each with the generator `rng_for(seed, example id, family, field)`, so the
same seed gives the same perturbed input to every model and in every session. Edits are the
family's own records (code-point offsets into the clean text); `visible` draws invisible and
whitespace edits as placeholders (`render` lays them out).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from xstilts.examples import Example
from xstilts.perturb import Edit, Perturbation, Perturbed, effective_mask
from xstilts.perturb.examples import example_fields
from xstilts.perturb.examples import perturb_example as perturb_fields

INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})
FIELD_LABELS = {
    "text_a": "Sentence 1",
    "text_b": "Sentence 2",
    "text": "Text",
    "context": "Premise",
}


def text_fields(example: Example) -> list[tuple[str, str]]:
    """(field, text) of every field a perturbation or an attack may change, as evaluation names
    them (`text_a`, `text_b`, `text`, `context`, `choice0`, `choice1`...)."""
    return list(example_fields(example).items())


def field_label(key: str) -> str:
    match = re.fullmatch(r"choice(\d+)", key)
    return f"Choice {int(match.group(1)) + 1}" if match else FIELD_LABELS.get(key, key)


@dataclass(frozen=True)
class PerturbedExample:
    clean: Example
    perturbed: Example
    fields: dict[str, Perturbed]  # by field key
    family: str
    supported: bool  # False when the family has nothing for this language

    @property
    def n_edits(self) -> int:
        return sum(len(p.edits) for p in self.fields.values())


def perturb_example(
    example: Example, family: Perturbation, strength: float, seed: int
) -> PerturbedExample:
    """The evaluation's own `perturb_example` (same fields, same per-field generators), plus
    whether the family supports the example's language at all."""
    if not family.supports(example.lang):
        fields = {k: Perturbed(t, (), family.name) for k, t in text_fields(example)}
        return PerturbedExample(example, example, fields, family.name, False)
    perturbed, fields = perturb_fields(example, family, strength, seed)
    return PerturbedExample(example, perturbed, fields, family.name, True)


def visible(text: str) -> str:
    """Invisible characters as ⟨U+XXXX⟩, spaces as ␣, so an edit of them can be seen."""
    out = []
    for char in text:
        if char == " ":
            out.append("␣")
        elif unicodedata.category(char) in INVISIBLE or (
            len(text) == 1 and unicodedata.category(char) == "Mn"
        ):
            out.append(f"⟨U+{ord(char):04X}⟩")
        else:
            out.append(char)
    return "".join(out)


def diff_edits(original: str, changed: str) -> tuple[Edit, ...]:
    """Edits turning `original` into `changed`, for texts whose edits were not recorded."""
    matcher = difflib.SequenceMatcher(a=original, b=changed, autojunk=False)
    return tuple(
        Edit(i1, i2, changed[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )


def effective_for(tokenizer, view: PerturbedExample) -> bool:
    """Whether `tokenizer` turns any perturbed field into different token ids."""
    pairs = [(clean, view.fields[k].text) for k, clean in text_fields(view.clean)]
    return effective_mask(tokenizer, pairs).n_effective > 0
