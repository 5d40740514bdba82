"""What the page shows of a perturbation: a clean-versus-perturbed diff per field, as data (for
API clients) and as HTML (for the page), plus the page's plain-text messages.

Every string that came from a user is escaped here, once: the page never interprets input as
markup, so `<img onerror=...>` typed into a field or the language box is shown as those
characters. Each field is two lines, the clean text with what was removed or replaced marked,
and the perturbed text with what was inserted or put in its place marked. Each line is one inline
run of text with `dir="auto"` and `unicode-bidi: plaintext`, the rule the input boxes follow, so a
right-to-left or mixed line is laid out in the same word order as where it was typed, and marks
are plain inline spans (colour only) that do not cut an Arabic word's joining.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from xstilts.demo.perturbview import field_label, text_fields, visible
from xstilts.examples import Example
from xstilts.perturb import Edit, apply_edits

CSS = """
.xs-diff { display: flex; flex-direction: column; gap: 0.6em; }
.xs-model { font-weight: 600; }
.xs-label { font-size: 0.85em; opacity: 0.75; }
.xs-line { display: flex; gap: 0.6em; align-items: baseline; }
.xs-tag { flex: 0 0 6.5em; font-size: 0.8em; opacity: 0.7; }
.xs-text { flex: 1 1 auto; unicode-bidi: plaintext; text-align: start; white-space: pre-wrap;
  overflow-wrap: anywhere; font-size: 1.1em; }
.xs-removed { background: rgba(198, 40, 40, 0.22); text-decoration: line-through; }
.xs-inserted { background: rgba(46, 125, 50, 0.25); }
.xs-replaced { background: rgba(239, 108, 0, 0.28); }
.xs-message { white-space: pre-wrap; unicode-bidi: plaintext; }
.xs-table { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 0.92em; }
.xs-table th, .xs-table td { border: 1px solid rgba(128, 128, 128, 0.35); padding: 0.3em 0.45em;
  overflow-wrap: anywhere; vertical-align: top; text-align: start; unicode-bidi: plaintext; }
"""
KINDS = ("inserted", "deleted", "replaced")


@dataclass(frozen=True)
class FieldDiff:
    """One field's clean and perturbed text and the edits between them (code-point offsets into
    the clean text)."""

    key: str
    clean: str
    perturbed: str
    edits: tuple[Edit, ...]

    @property
    def label(self) -> str:
        return field_label(self.key)

    def as_dict(self) -> dict:
        return {
            "field": self.key,
            "label": self.label,
            "clean": self.clean,
            "perturbed": self.perturbed,
            "edits": [
                {
                    "start": e.start,
                    "end": e.end,
                    "kind": edit_kind(e),
                    "old": self.clean[e.start : e.end],
                    "new": e.replacement,
                }
                for e in self.edits
            ],
        }


def edit_kind(edit: Edit) -> str:
    if edit.start == edit.end:
        return "inserted"
    return "replaced" if edit.replacement else "deleted"


def field_diffs(example: Example, edits_by_field: dict[str, tuple[Edit, ...]]) -> list[FieldDiff]:
    """Every text field of `example`, with its edits (none for a field left alone)."""
    diffs = []
    for key, text in text_fields(example):
        edits = tuple(sorted(edits_by_field.get(key, ()), key=lambda e: (e.start, e.end)))
        diffs.append(FieldDiff(key, text, apply_edits(text, edits), edits))
    return diffs


def _span(text: str, kind: str | None) -> str:
    shown = html.escape(text if kind is None else visible(text))
    return shown if kind is None else f'<span class="xs-{kind}">{shown}</span>'


def clean_line(diff: FieldDiff) -> str:
    """The clean text, what the perturbation removes or replaces marked."""
    parts, cursor = [], 0
    for edit in diff.edits:
        parts.append(_span(diff.clean[cursor : edit.start], None))
        if edit.end > edit.start:
            parts.append(_span(diff.clean[edit.start : edit.end], "removed"))
        cursor = max(cursor, edit.end)
    parts.append(_span(diff.clean[cursor:], None))
    return "".join(parts)


def perturbed_line(diff: FieldDiff) -> str:
    """The perturbed text, what the perturbation inserts or puts in place marked (invisible
    characters and spaces drawn as placeholders so they can be seen)."""
    parts, cursor = [], 0
    for edit in diff.edits:
        parts.append(_span(diff.clean[cursor : edit.start], None))
        if edit.replacement:
            parts.append(_span(edit.replacement, edit_kind(edit)))
        cursor = max(cursor, edit.end)
    parts.append(_span(diff.clean[cursor:], None))
    return "".join(parts)


def _line(tag: str, body: str) -> str:
    return (
        f'<div class="xs-line"><span class="xs-tag">{tag}</span>'
        f'<div class="xs-text" dir="auto">{body}</div></div>'
    )


def diff_html(diffs: list[FieldDiff], title: str | None = None) -> str:
    """The page's view of one perturbed example (and whose, for an attack)."""
    parts = [f'<div class="xs-model">{html.escape(title)}</div>'] if title else []
    for diff in diffs:
        parts.append(
            f'<div class="xs-field"><div class="xs-label">{html.escape(diff.label)}</div>'
            + _line("clean", clean_line(diff))
            + _line("perturbed" if diff.edits else "perturbed (same)", perturbed_line(diff))
            + "</div>"
        )
    return "".join(parts)


def page_html(blocks: list[str]) -> str:
    return f'<div class="xs-diff">{"".join(blocks)}</div>' if blocks else ""


def message_html(text: str) -> str:
    """A status message as escaped plain text (it may quote what the user typed)."""
    return f'<div class="xs-message">{html.escape(text)}</div>' if text else ""


def table_html(header: list[str], rows: list[list[str]]) -> str:
    """A results table that wraps inside the page at any width (every cell escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td dir="auto">{html.escape(str(c))}</td>' for c in row) + "</tr>"
        for row in rows
    )
    return f'<table class="xs-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
