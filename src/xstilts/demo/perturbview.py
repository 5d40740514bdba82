"""One seeded perturbation of an example, shown as highlighted edits.

Perturbing is the evaluation's own `xstilts.perturb.examples.perturb_example`: every free-text
field (a multiple-choice question such as XCOPA's "cause"/"effect" keyword is a cue, not text,
and is left alone), each with the generator `rng_for(seed, example id, family, field)`, so the
same seed gives the same perturbed input to every model and in every session. Edits are the
family's own records (code-point offsets into the clean text); invisible and whitespace edits
are drawn as visible placeholders.
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

Segment = tuple[str, str | None]  # (text, category or None): what gr.HighlightedText shows
COLORS = {"inserted": "#2e7d32", "deleted": "#c62828", "replaced": "#ef6c00"}
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


def edit_segments(original: str, edits: tuple[Edit, ...] | list[Edit]) -> list[Segment]:
    """The perturbed text as segments: unchanged text plain, each edit with its kind."""
    segments: list[Segment] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start > cursor:
            segments.append((original[cursor : edit.start], None))
        if edit.start == edit.end:
            segments.append((visible(edit.replacement), "inserted"))
        elif not edit.replacement:
            segments.append((visible(original[edit.start : edit.end]), "deleted"))
        else:
            segments.append((visible(edit.replacement), "replaced"))
        cursor = max(cursor, edit.end)
    if cursor < len(original):
        segments.append((original[cursor:], None))
    return segments


def diff_edits(original: str, changed: str) -> tuple[Edit, ...]:
    """Edits turning `original` into `changed`, for texts whose edits were not recorded."""
    matcher = difflib.SequenceMatcher(a=original, b=changed, autojunk=False)
    return tuple(
        Edit(i1, i2, changed[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )


def example_segments(
    clean: Example, edits_by_field: dict[str, tuple[Edit, ...]], header: str | None = None
) -> list[Segment]:
    """All fields of an example, one per line, with their edits highlighted."""
    segments: list[Segment] = [(f"{header}\n", None)] if header else []
    for index, (key, text) in enumerate(text_fields(clean)):
        if index:
            segments.append(("\n", None))
        segments.append((f"{field_label(key)}: ", None))
        segments += edit_segments(text, edits_by_field.get(key, ()))
    return segments


def effective_for(tokenizer, view: PerturbedExample) -> bool:
    """Whether `tokenizer` turns any perturbed field into different token ids."""
    pairs = [(clean, view.fields[k].text) for k, clean in text_fields(view.clean)]
    return effective_mask(tokenizer, pairs).n_effective > 0
