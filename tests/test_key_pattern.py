"""The compiled key set finds the longest key at the leftmost offset, and code-switching's match
pass built on it finds exactly the entries a probe at every grapheme boundary finds."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from xstilts.perturb.builtin.codeswitch import _MAX_ENTRY, _longest_match, _prefix_form
from xstilts.perturb.key_pattern import key_pattern
from xstilts.perturb.segment import grapheme_boundaries


def test_the_longest_key_at_the_leftmost_offset() -> None:
    pattern = key_pattern(["ab", "abc", "abde", "bcd", "c", ""])
    assert [m.group() for m in pattern.finditer("xabcdabdxabde")] == ["abc", "ab", "abde"]
    assert pattern.search("zzbcd").span() == (2, 5)
    assert pattern.search("zz") is None


def test_no_keys_match_nothing_and_special_characters_are_literal() -> None:
    assert key_pattern([]).search("anything") is None
    assert key_pattern([""]).search("") is None
    pattern = key_pattern(["a.b", "(x)", "多少"])
    assert pattern.search("axb") is None
    assert [m.group() for m in pattern.finditer("a.b (x) 多少钱")] == ["a.b", "(x)", "多少"]


def test_a_wide_node_of_special_characters_stays_literal() -> None:
    """More first characters than one alternation holds, among them the characters a set
    in a lookahead treats specially."""
    firsts = "]^-\\[.*+?{}()|$/&~#%!\"'<>=,;:@`" + "abcdefghij"
    keys = [f"{char}x" for char in firsts]
    text = "".join(f"{key} " for key in keys)
    assert [m.group() for m in key_pattern(keys).finditer(text)] == keys
    assert key_pattern(keys).search("-y ^y ]y") is None


def test_a_lexicon_sized_key_set_with_long_keys_compiles() -> None:
    keys = [f"{n:06d}" * 40 for n in range(2000)]  # 240 characters each: nesting 240 deep
    pattern = key_pattern(keys)
    assert pattern.search("--" + keys[1234] + "--").group() == keys[1234]


def test_thousands_of_first_characters_match_as_few_do() -> None:
    """A node wider than one alternation is split behind lookaheads; the matches are the same
    as a probe of every length at every offset finds."""
    rng = random.Random(0)
    keys = {
        "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(rng.randint(1, 3)))
        for _ in range(5000)
    }
    ordered = sorted(keys)
    text = "".join(rng.choice(ordered) + rng.choice("，。的") for _ in range(400))
    expected, i = [], 0
    while i < len(text):
        end = next((i + n for n in (3, 2, 1) if text[i : i + n] in keys), None)
        expected += [(i, end)] if end else []
        i = end or i + 1
    assert [m.span() for m in key_pattern(keys).finditer(text)] == expected


# Letters that make the match pass's hard cases: Han (one code point per cluster), Thai with a
# mark and a preposed vowel (clusters of several code points), Greek sigma in its three forms
# (lower-casing depends on the context), dotted capital I (lower-casing adds a code point).
ALPHABET = [*"多少钱书花短ab", "ก", "\u0e34", "เ", "า", "Σ", "σ", "ς", "İ", "，"]


def _probed(text: str, known) -> dict[int, int]:
    """The reference: at each grapheme boundary, the longest known phrase of at most
    `_MAX_ENTRY` graphemes, then on from its end."""
    bounds = grapheme_boundaries(text)
    found, i = {}, 0
    while i < len(bounds) - 1:
        for j in range(min(len(bounds) - 1, i + _MAX_ENTRY), i, -1):
            if known(text[bounds[i] : bounds[j]]):
                found[bounds[i]] = bounds[j]
                i = j
                break
        else:
            i += 1
    return found


KEY = st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=6).map("".join)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), keys=st.lists(KEY, min_size=1, max_size=8))
def test_match_pass_equals_probing_every_boundary(data: st.DataObject, keys: list[str]) -> None:
    """The text is built from the keys, cut and joined anywhere, so that keys overlap, run into
    clusters, change under lower-casing and go untranslated."""
    pieces = st.one_of(st.sampled_from(keys), st.sampled_from(ALPHABET))
    text = "".join(data.draw(st.lists(pieces, max_size=12), label="pieces"))
    stored = {key.lower() for key in keys}  # the lexicon's keys, lower-cased as loaded
    silent = data.draw(st.sets(st.sampled_from(sorted(stored))), label="untranslated")

    def known(phrase: str) -> bool:
        return phrase.lower() in stored and phrase.lower() not in silent

    pattern = key_pattern(_prefix_form(key) for key in stored)
    assert _longest_match(text, known, pattern) == _probed(text, known)
