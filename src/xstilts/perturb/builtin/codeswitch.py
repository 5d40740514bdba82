"""Code-switching: words of the input language replaced by their translation in another language.

Lexicons pivot through English (`en-xx` files, see `xstilts.perturb.lexicon`): a word of language
L is looked up in en-L, and its English translations are used as they are or looked up in en-T
for each other switch language T (`Resources.switch_languages`). English input is translated
directly. A phrase of up to four segmenter words may match one lexicon entry, the longest match
winning, so multi-word entries and Chinese words that the segmenter splits into characters are
found too. Without a lexicon for L nothing applies (`supports` says so). `phrases` lists the
entries of a text as these matches find them, for the attack, which switches entries whole.
"""

from __future__ import annotations

import functools
import random
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from pathlib import Path

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal, check_text
from xstilts.perturb.errors import LexiconError
from xstilts.perturb.key_pattern import key_pattern
from xstilts.perturb.resources import Resources
from xstilts.perturb.segment import Span, grapheme_boundaries, graphemes, is_unspaced

_MAX_PHRASE = 4
_MAX_ENTRY = 8  # graphemes in one unspaced lexicon entry

# Asked for every word and its neighbours; a word's script is counted once per distinct word.
_unspaced = functools.lru_cache(maxsize=65536)(is_unspaced)


@register
class CodeSwitch(Perturbation):
    name = "codeswitch"
    unit = "word"

    def __init__(self, resources: Resources) -> None:
        super().__init__(resources)
        directory = resources.lexicon_dir
        if directory is not None and not Path(directory).is_dir():
            raise LexiconError(
                f"lexicon directory {directory} does not exist; run `dvc pull` for the sample "
                "lexicons or fetch the MUSE dictionaries for the full profile"
            )
        self._key_patterns: dict[str, re.Pattern[str]] = {}  # language -> its keys, see _keys
        self._entries: dict[tuple[str, str], tuple[str, ...]] = {}  # lexicon key -> translations
        self._matched: tuple[tuple[str, str], tuple[list[int], dict[int, int]]] = (
            ("", ""),
            ([], {}),
        )

    def supports(self, language: str) -> bool:
        if language == "en":
            return any(t != "en" for t in self.resources.switch_languages())
        return self.resources.lexicon(language) is not None

    def translations(self, phrase: str, language: str) -> list[str]:
        """Translations of `phrase` (language `language`) into every other switch language."""
        if language == "en":
            english: Sequence[str] = (phrase,)
        else:
            lexicon = self.resources.lexicon(language)
            english = lexicon.to_english.get(phrase.lower(), ()) if lexicon else ()
        found: dict[str, None] = {}
        for target in self.resources.switch_languages():
            if target == language:
                continue
            if target == "en":
                found.update(dict.fromkeys(english))
                continue
            lexicon = self.resources.lexicon(target)
            for word in english if lexicon else ():
                found.update(dict.fromkeys(lexicon.from_english.get(word.lower(), ())))
        found.pop(phrase, None)
        return [_match_case(t, phrase) for t in found]

    def propose(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        if _unspaced(units[index].text):
            return self._propose_unspaced(text, language, units, index, rng)
        phrase = self._spaced_entry(text, language, units, index)
        if phrase is None:
            return None
        options = self._entry_translations(" ".join(phrase.text.split()), language)
        edit = Edit(phrase.start, phrase.end, rng.choice(options))
        return Proposal(edit, cost=_overlapping(units, index, phrase.end))

    def phrases(self, text: str, language: str) -> list[Span]:
        """The lexicon entries of `text`, left to right and longest first, matched as `propose`
        matches them: up to four space-joined words, or in unspaced text the longest-match
        pass's entries. They never overlap, so a caller that switches only these (the attack)
        never translates part of a multi-word entry on its own."""
        units = self.units(text, language)
        found: list[Span] = []
        cursor = 0
        for index in range(len(units)):
            for phrase in self._entries_at(text, language, units, index):
                if phrase.start >= cursor:
                    found.append(phrase)
                    cursor = phrase.end
        return found

    def _entries_at(
        self, text: str, language: str, units: Sequence[Span], index: int
    ) -> list[Span]:
        """The entries starting in `units[index]` (several may, in unspaced text)."""
        if _unspaced(units[index].text):
            word = units[index]
            return [Span(s, e, text[s:e]) for s, e in self._matches_in(text, language, word)]
        phrase = self._spaced_entry(text, language, units, index)
        return [phrase] if phrase is not None else []

    def _spaced_entry(
        self, text: str, language: str, units: Sequence[Span], index: int
    ) -> Span | None:
        """The longest entry of up to four space-joined words starting at `units[index]`."""
        for last in reversed(_phrase_ends(text, units, index)):
            start, end = units[index].start, units[last].end
            if self._translatable(" ".join(text[start:end].split()), language):
                return Span(start, end, text[start:end])
        return None

    def _switched(self, phrase: str, language: str) -> list[str]:
        """Translations of a phrase as written in running text (any run of spaces between its
        words matches the lexicon's single space)."""
        return self.translations(" ".join(phrase.split()), language)

    def _propose_unspaced(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        """A lexicon entry starting in this word, from a longest-match pass over the text (the
        segmenter may split entries it does not know, like the sample world's Chinese words)."""
        matches = self._matches_in(text, language, units[index])
        if not matches:
            return None
        start, end = rng.choice(matches)
        options = self._entry_translations(text[start:end], language)
        return Proposal(Edit(start, end, rng.choice(options)), cost=_overlapping(units, index, end))

    def _matches_in(self, text: str, language: str, word: Span) -> list[tuple[int, int]]:
        """(start, end) of the longest-match entries starting inside `word`. The pass runs once
        per text and is searched by bisection: asked for every word, a scan of all matches
        would be quadratic in the text's length."""
        matched = self._matched
        if matched[0] != (text, language):
            found = self._match_pass(text, language)
            matched = self._matched = ((text, language), (sorted(found), found))
        starts, ends = matched[1]
        first, last = bisect_left(starts, word.start), bisect_left(starts, word.end)
        return [(s, ends[s]) for s in starts[first:last]]

    def _match_pass(self, text: str, language: str) -> dict[int, int]:
        """The longest-match pass over `text`. Without a lexicon nothing can match."""
        if language != "en" and self.resources.lexicon(language) is None:
            return {}
        return _longest_match(text, lambda p: self._translatable(p, language), self._keys(language))

    def _keys(self, language: str) -> re.Pattern[str]:
        """Every phrase that may translate from `language`, in `_prefix_form`, as one pattern
        (compiled once per language): the keys of its lexicon, or for English those of every
        switch language's lexicon. Keys longer than `_MAX_ENTRY` graphemes are left out, as
        the pass never matches them."""
        pattern = self._key_patterns.get(language)
        if pattern is None:
            if language == "en":
                lexicons = [self.resources.lexicon(t) for t in self.resources.switch_languages()]
                keys = [k for lexicon in lexicons if lexicon for k in lexicon.from_english]
            else:
                lexicon = self.resources.lexicon(language)
                keys = list(lexicon.to_english) if lexicon else []
            forms = (_prefix_form(key) for key in keys if _short_enough(key))
            pattern = self._key_patterns[language] = key_pattern(forms)
        return pattern

    def _translatable(self, phrase: str, language: str) -> bool:
        """Whether `phrase` has a translation; most phrases are no lexicon key, which one
        dictionary lookup says, and an entry met before is answered from its translations."""
        known = self._entries.get((phrase, language))
        if known is not None:
            return bool(known)
        if language == "en":
            return bool(self.translations(phrase, language))
        lexicon = self.resources.lexicon(language)
        if lexicon is None or phrase.lower() not in lexicon.to_english:
            return False
        return bool(self._entry_translations(phrase, language))

    def _entry_translations(self, key: str, language: str) -> tuple[str, ...]:
        """The translations of a phrase known to have some (a lexicon key), assembled once: an
        entry recurs through a long text, and the match pass and every proposal ask for them.
        Only such phrases are kept, so this holds no more than the lexicons' entries."""
        found = self._entries.get((key, language))
        if found is None:
            found = self._entries[(key, language)] = tuple(self.translations(key, language))
        return found

    def word_variants(self, word: str, language: str, rng: random.Random, k: int) -> list[str]:
        check_text(word)
        options = self._switched(word, language) if word.strip() else []
        rng.shuffle(options)
        return options[: max(k, 0)]


def _longest_match(
    text: str, known: Callable[[str], bool], keys: re.Pattern[str]
) -> dict[int, int]:
    """start -> end of each known entry, matched longest first from left to right over grapheme
    boundaries (at most `_MAX_ENTRY` graphemes).

    `keys` (see `key_pattern`) jumps to the next offset where some key starts and proposes the
    longest key there. Every known phrase has its key in `keys`, so the offsets skipped start
    none; a proposal that is not a known phrase on grapheme boundaries (a key with no
    translation, a match inside a cluster) is settled by asking `known` for each shorter
    phrase at that offset, as a scan without the pattern would."""
    boundaries = grapheme_boundaries(text)
    isolated = len(boundaries) == len(text) + 1  # every code point is its own cluster
    number = None if isolated else {offset: n for n, offset in enumerate(boundaries)}
    form = _prefix_form(text)
    if len(form) != len(text):  # lower-casing changed lengths (İ): ask at every boundary
        return _probed_match(text, known, boundaries)
    found: dict[int, int] = {}
    cursor = 0
    while (match := keys.search(form, cursor)) is not None:
        start, end = match.span()
        first = start if number is None else number.get(start)
        if first is None:  # inside a cluster
            cursor = start + 1
            continue
        last = end if number is None else number.get(end)
        if last is not None and last - first <= _MAX_ENTRY and known(text[start:end]):
            found[start] = cursor = end
            continue
        shorter = _longest_known(text, known, boundaries, first)
        if shorter is None:
            cursor = start + 1
        else:
            found[start] = cursor = shorter
    return found


def _probed_match(
    text: str, known: Callable[[str], bool], boundaries: Sequence[int]
) -> dict[int, int]:
    """`_longest_match` without the pattern: the longest known phrase at each boundary."""
    found: dict[int, int] = {}
    i = 0
    while i < len(boundaries) - 1:
        end = _longest_known(text, known, boundaries, i)
        if end is None:
            i += 1
        else:
            found[boundaries[i]] = end
            i = boundaries.index(end, i)
    return found


def _longest_known(
    text: str, known: Callable[[str], bool], boundaries: Sequence[int], first: int
) -> int | None:
    """The end of the longest known phrase of at most `_MAX_ENTRY` graphemes starting at
    grapheme `first`, or None."""
    start = boundaries[first]
    for j in range(min(len(boundaries) - 1, first + _MAX_ENTRY), first, -1):
        if known(text[start : boundaries[j]]):
            return boundaries[j]
    return None


def _prefix_form(piece: str) -> str:
    """How a candidate is compared with the keys: lower-cased as the lexicon's keys are, with
    the final sigma written as a medial one (lower-casing picks the final form at the end of a
    piece, which the same letters inside a longer text would not get)."""
    return piece.lower().replace("ς", "σ")


def _short_enough(key: str) -> bool:
    return len(key) <= _MAX_ENTRY or len(graphemes(key)) <= _MAX_ENTRY


def _overlapping(units: Sequence[Span], index: int, end: int) -> int:
    """Units an edit starting inside `units[index]` and ending at `end` changes (at least one)."""
    last = index
    while last + 1 < len(units) and units[last + 1].start < end:
        last += 1
    return last - index + 1


def _phrase_ends(text: str, units: Sequence[Span], index: int) -> list[int]:
    """Indices j such that units[index..j] is a phrase: joined by spaces or, unspaced, nothing."""
    ends = [index]
    for j in range(index + 1, min(index + _MAX_PHRASE, len(units))):
        gap = text[units[j - 1].end : units[j].start]
        joined = gap == "" if _unspaced(units[j].text) else gap.isspace() and "\n" not in gap
        if not joined:
            break
        ends.append(j)
    return ends


def _match_case(translation: str, original: str) -> str:
    if original[:1].isupper() and translation[:1].islower():
        return translation[:1].upper() + translation[1:]
    return translation
