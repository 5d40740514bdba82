"""The tagging view as HTML: each model's tags on the clean and the perturbed sentence.

Every word is a chip coloured by the tag the model gave it: in a BIO scheme (NER) one colour per
entity type (B-X and I-X alike) and O plain; otherwise (POS) one colour per tag. Under the word
are its tag and, on the perturbed line, the clean word it comes from (←n, 1-based), so a tag can
be compared word by word across a deletion, a swap or a split. A red frame marks a perturbed word
whose tag differs from the model's clean tag carried onto it (shown as "clean: X"); a dashed one
the clean word it came from. Edits inside a word are marked as the other views mark them.

Like `render`, this is the one place user text becomes HTML, and all of it is escaped; tag names
(from a checkpoint's metadata) are escaped too. Colours are numbers computed here, never text.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

from xstilts.demo.perturbview import diff_edits
from xstilts.demo.render import FieldDiff, clean_line, perturbed_line
from xstilts.demo.tagview import ModelTags, Sentence, TagResult
from xstilts.perturb.tagged import TagScheme

CSS = """
.xs-tagview { display: flex; flex-direction: column; gap: 0.8em; }
.xs-legend { display: flex; flex-wrap: wrap; gap: 0.3em 0.5em; align-items: center;
  font-size: 0.85em; }
.xs-tagmodels { display: grid; grid-template-columns: repeat(auto-fit, minmax(22em, 1fr));
  gap: 0.8em; }
.xs-tagcard { border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 0.5em;
  padding: 0.5em 0.6em; display: flex; flex-direction: column; gap: 0.45em; min-width: 0; }
.xs-words { flex: 1 1 auto; display: flex; flex-wrap: wrap; gap: 0.3em; min-width: 0;
  align-items: flex-start; }
.xs-word { display: inline-flex; flex-direction: column; align-items: center; max-width: 100%;
  padding: 0.1em 0.35em; border-radius: 0.35em; border: 2px solid transparent;
  background: hsla(var(--xs-hue), 75%, 55%, 0.3); }
.xs-word.xs-plain { background: transparent; border-color: rgba(128, 128, 128, 0.3); }
.xs-wtext { font-size: 1.05em; white-space: pre-wrap; overflow-wrap: anywhere;
  unicode-bidi: plaintext; }
.xs-wtag { font-size: 0.7em; letter-spacing: 0.03em; opacity: 0.85; }
.xs-wlink { font-size: 0.65em; opacity: 0.65; }
.xs-was { font-size: 0.65em; color: #c62828; }
.xs-word.xs-changed { border: 2px solid #c62828; }
.xs-word.xs-source-changed { border: 2px dashed #c62828; }
.xs-word .xs-removed, .xs-word .xs-inserted, .xs-word .xs-replaced {
  text-decoration-line: underline; text-decoration-thickness: 2px; }
.xs-word .xs-removed { text-decoration-line: underline line-through; }
"""
GOLDEN_ANGLE = 137.508  # successive hues as far apart as possible, for any number of tags
# Entity types take hues from teal to violet, clear of the edit marks' red, orange and green.
ENTITY_HUES = (175, 325)


def tag_hues(names: Sequence[str]) -> dict[str, int | None]:
    """Tag name -> hue (None: plain). BIO: one hue per entity type, O plain; else per tag."""
    scheme = TagScheme(names)
    if not scheme.bio:
        return {name: round(i * GOLDEN_ANGLE) % 360 for i, name in enumerate(names)}
    parts = [scheme.entity(i) for i in range(len(names))]
    types = list(dict.fromkeys(part[1] for part in parts if part))
    low, high = ENTITY_HUES
    step = (high - low) / max(len(types), 1)
    hue = {kind: round(low + k * step) for k, kind in enumerate(types)}
    return {name: hue[part[1]] if part else None for name, part in zip(names, parts, strict=True)}


def tag_html(result: TagResult) -> str:
    """The whole view: legend, the sentence's edits, one card per model (side by side)."""
    hues = tag_hues(result.tag_names)
    cards = "".join(model_card(m, result.sentence, hues) for m in result.models)
    return (
        '<div class="xs-tagview">'
        + legend_html(result.tag_names, hues)
        + sentence_html(result)
        + f'<div class="xs-tagmodels">{cards}</div></div>'
    )


def legend_html(names: Sequence[str], hues: dict[str, int | None]) -> str:
    scheme = TagScheme(names)
    if scheme.bio:
        seen: dict[str, int | None] = {}
        for i, name in enumerate(names):
            part = scheme.entity(i)
            seen.setdefault(part[1] if part else name, hues[name])
        title = "Tags (entities: B- begins one, I- continues it; O is plain):"
    else:
        seen = dict(hues)
        title = "Tags:"
    chips = "".join(_legend_chip(name, hue) for name, hue in seen.items())
    key = (
        "Under a perturbed word, ←n is the clean word it comes from. Red frame: the model's tag "
        "changed from its clean tag (clean: X); dashed: the clean word it came from. Edits: "
        '<span class="xs-removed">removed</span> <span class="xs-replaced">replaced</span> '
        '<span class="xs-inserted">inserted</span>.'
    )
    return (
        f'<div class="xs-legend"><span class="xs-label">{html.escape(title)}</span>{chips}</div>'
        f'<div class="xs-legend"><span class="xs-label">{key}</span></div>'
    )


def _legend_chip(name: str, hue: int | None) -> str:
    style, plain = _colour(hue)
    label = f'<span class="xs-wtag">{html.escape(name)}</span>'
    return f'<span class="xs-word{plain}"{style}>{label}</span>'


def sentence_html(result: TagResult) -> str:
    """The sentence's text, clean and perturbed, with the family's own edits marked."""
    diff = result.diff
    same = "" if diff.edits else " (same)"
    return (
        '<div class="xs-field"><div class="xs-label">Sentence: the perturbation\'s edits</div>'
        + _row("clean", f'<div class="xs-text" dir="auto">{clean_line(diff)}</div>')
        + _row(f"perturbed{same}", f'<div class="xs-text" dir="auto">{perturbed_line(diff)}</div>')
        + "</div>"
    )


def model_card(model: ModelTags, sentence: Sentence, hues: dict[str, int | None]) -> str:
    """One model: its tags on the clean words, then on the perturbed words."""
    changed = model.changed
    total = len(sentence.perturbed.words)
    direction = sentence_direction(sentence.clean.words)
    summary = (
        f"tag changed on {sum(changed)} of {total} perturbed word(s) · tokenizer: {model.tokenizer}"
    )
    return (
        f'<div class="xs-tagcard"><div class="xs-model">{html.escape(model.label)}</div>'
        f'<div class="xs-label">{html.escape(summary)}</div>'
        + _row("clean", _words(clean_chips(model, sentence, hues), direction))
        + _row("perturbed", _words(perturbed_chips(model, sentence, hues), direction))
        + "</div>"
    )


def clean_chips(model: ModelTags, sentence: Sentence, hues: dict[str, int | None]) -> list[str]:
    counterparts = sentence.counterparts()
    changes = sentence.clean_changes()
    flagged = model.clean_changed(sentence)
    chips = []
    for i, word in enumerate(sentence.clean.words):
        body = _clean_body(sentence, i, changes[i], counterparts[i])
        extra = " xs-source-changed" if flagged[i] else ""
        tag, confidence = model.clean[i], model.clean_confidence[i]
        link = f"{i + 1}" + (" gone" if changes[i] == "gone" else "")
        chips.append(_chip(body, tag, confidence, hues.get(tag), link, extra, word))
    return chips


def perturbed_chips(model: ModelTags, sentence: Sentence, hues: dict[str, int | None]) -> list[str]:
    changes = sentence.perturbed_changes()
    chips = []
    for j, word in enumerate(sentence.perturbed.words):
        body = _perturbed_body(sentence, j, changes[j])
        tag, confidence = model.perturbed[j], model.perturbed_confidence[j]
        link = "←" + "+".join(str(i + 1) for i in sentence.sources[j])
        if changes[j] != "same":
            link += f" {changes[j]}"
        was = "" if tag == model.expected[j] else f"clean: {model.expected[j]}"
        extra = " xs-changed" if was else ""
        chips.append(_chip(body, tag, confidence, hues.get(tag), link, extra, word, was))
    return chips


def _clean_body(sentence: Sentence, i: int, change: str, counterparts: list[int]) -> str:
    word = sentence.clean.words[i]
    if change == "gone":
        return f'<span class="xs-removed">{html.escape(word)}</span>'
    new = sentence.perturbed.words[counterparts[0]]
    if len(counterparts) > 1 or sentence.sources[counterparts[0]] != (i,) or new == word:
        return html.escape(word)  # split, repeated, merged or untouched: nothing to mark
    return clean_line(_word_diff(word, new))


def _perturbed_body(sentence: Sentence, j: int, change: str) -> str:
    word, source = sentence.perturbed.words[j], sentence.source_text(j)
    if change == "added" and word == source:
        return f'<span class="xs-inserted">{html.escape(word)}</span>'
    if word == source:
        return html.escape(word)
    return perturbed_line(_word_diff(source, word))


def _word_diff(old: str, new: str) -> FieldDiff:
    return FieldDiff("word", old, new, diff_edits(old, new))


def _chip(
    body: str,
    tag: str,
    confidence: float,
    hue: int | None,
    link: str,
    extra: str,
    word: str,
    was: str = "",
) -> str:
    """One word: its text (`body`, already escaped and marked), its tag, its link."""
    style, plain = _colour(hue)
    title = html.escape(f"{word} · {tag} ({confidence:.0%})", quote=True)
    note = f'<span class="xs-was">{html.escape(was)}</span>' if was else ""
    return (
        f'<span class="xs-word{plain}{extra}"{style} title="{title}">'
        f'<span class="xs-wtext" dir="auto">{body}</span>'
        f'<span class="xs-wtag">{html.escape(tag)}</span>{note}'
        f'<span class="xs-wlink" dir="ltr">{html.escape(link)}</span></span>'
    )


def _colour(hue: int | None) -> tuple[str, str]:
    """(style attribute, extra class): a hue is an int computed here, never user text."""
    if hue is None:
        return "", " xs-plain"
    return f' style="--xs-hue: {int(hue)}"', ""


def sentence_direction(words: Sequence[str]) -> str:
    """ "rtl" or "ltr": the sentence's first strong letter, as `dir="auto"` reads a line. The
    word rows need it spelled out: `dir="auto"` skips the chips (each has its own `dir`) and
    would read the first tag name, always left-to-right."""
    for char in "".join(words):
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _words(chips: list[str], direction: str) -> str:
    body = "".join(chips) or '<span class="xs-label">(no word left)</span>'
    return f'<div class="xs-words" dir="{direction}">{body}</div>'


def _row(tag: str, body: str) -> str:
    return f'<div class="xs-line"><span class="xs-tag">{html.escape(tag)}</span>{body}</div>'
