"""One seeded perturbation of an example, shown as highlighted edits.

Every free-text field is perturbed (a multiple-choice question such as XCOPA's "cause"/"effect"
keyword is a cue, not text, and is left alone), each with its own generator
`rng_for(seed, "demo", family, field)`, so the same seed gives the same perturbed input to every
model and in every session. Edits are the family's own records (code-point offsets into the
clean text); invisible and whitespace edits are drawn as visible placeholders.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from dataclasses import dataclass

from xstilts.examples import ChoiceExample, Example, PairExample, TextExample
from xstilts.perturb import Edit, Perturbation, Perturbed, effective_mask, rng_for

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
    """(field key, text) of every field a perturbation or an attack may change."""
    if isinstance(example, PairExample):
        return [("text_a", example.text_a), ("text_b", example.text_b)]
    if isinstance(example, TextExample):
        return [("text", example.text)]
    return [("context", example.context)] + [
        (f"choices[{i}]", c) for i, c in enumerate(example.choices)
    ]


def field_label(key: str) -> str:
    match = re.fullmatch(r"choices\[(\d+)\]", key)
    return f"Choice {int(match.group(1)) + 1}" if match else FIELD_LABELS.get(key, key)


def with_fields(example: Example, texts: dict[str, str]) -> Example:
    """A copy of `example` with some fields (keys from `text_fields`) replaced."""
    plain = {k: v for k, v in texts.items() if not k.startswith("choices[")}
    if isinstance(example, ChoiceExample):
        choices = list(example.choices)
        for key, value in texts.items():
            match = re.fullmatch(r"choices\[(\d+)\]", key)
            if match:
                choices[int(match.group(1))] = value
        plain["choices"] = tuple(choices)
    return dataclasses.replace(example, **plain)


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
    example: Example, family: Perturbation, language: str, strength: float, seed: int
) -> PerturbedExample:
    supported = family.supports(language)
    fields: dict[str, Perturbed] = {}
    for key, text in text_fields(example):
        if supported:
            rng = rng_for(seed, "demo", family.name, key)
            fields[key] = family.apply(text, language, strength, rng)
        else:
            fields[key] = Perturbed(text, (), family.name)
    perturbed = with_fields(example, {k: p.text for k, p in fields.items()})
    return PerturbedExample(example, perturbed, fields, family.name, supported)


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
