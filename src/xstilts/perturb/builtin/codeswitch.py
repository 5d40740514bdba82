"""Code-switching: words of the input language replaced by their translation in another language.

Lexicons pivot through English (`en-xx` files, see `xstilts.perturb.lexicon`): a word of language
L is looked up in en-L, and its English translations are used as they are or looked up in en-T
for each other switch language T (`Resources.switch_languages`). English input is translated
directly. A phrase of up to four segmenter words may match one lexicon entry, the longest match
winning, so multi-word entries and Chinese words that the segmenter splits into characters are
found too. Without a lexicon for L nothing applies (`supports` says so).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

from xstilts.perturb import register
from xstilts.perturb.base import Edit, Perturbation, Proposal, check_text
from xstilts.perturb.errors import LexiconError
from xstilts.perturb.resources import Resources
from xstilts.perturb.segment import Span, grapheme_spans, is_unspaced

_MAX_PHRASE = 4
_MAX_ENTRY = 8  # graphemes in one unspaced lexicon entry


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
        self._matched: tuple[tuple[str, str], dict[int, int]] = (("", ""), {})

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
        if is_unspaced(units[index].text):
            return self._propose_unspaced(text, language, units, index, rng)
        for last in reversed(_phrase_ends(text, units, index)):
            phrase = " ".join(text[units[index].start : units[last].end].split())
            options = self.translations(phrase, language)
            if options:
                edit = Edit(units[index].start, units[last].end, rng.choice(options))
                return Proposal(edit, cost=last - index + 1)
        return None

    def _propose_unspaced(
        self, text: str, language: str, units: Sequence[Span], index: int, rng: random.Random
    ) -> Proposal | None:
        """A lexicon entry starting in this word, from a longest-match pass over the text (the
        segmenter may split entries it does not know, like the sample world's Chinese words)."""
        word = units[index]
        matches = [m for m in self._longest_matches(text, language) if word.start <= m < word.end]
        if not matches:
            return None
        start = rng.choice(matches)
        end = self._matched[1][start]
        options = self.translations(text[start:end], language)
        cost = sum(1 for u in units if u.start < end and start < u.end)
        return Proposal(Edit(start, end, rng.choice(options)), cost=max(cost, 1))

    def _longest_matches(self, text: str, language: str) -> list[int]:
        """Starts of the entries a left-to-right longest-match pass finds (cached per text)."""
        if self._matched[0] != (text, language):
            self._matched = ((text, language), _longest_match(text, language, self.translations))
        return list(self._matched[1])

    def word_variants(self, word: str, language: str, rng: random.Random, k: int) -> list[str]:
        check_text(word)
        options = self.translations(word, language) if word.strip() else []
        rng.shuffle(options)
        return options[: max(k, 0)]


def _longest_match(
    text: str, language: str, translate: Callable[[str, str], list[str]]
) -> dict[int, int]:
    """start -> end of each translatable entry, matched longest first from left to right."""
    boundaries = [g.start for g in grapheme_spans(text)] + [len(text)]
    found: dict[int, int] = {}
    i = 0
    while i < len(boundaries) - 1:
        start = boundaries[i]
        for j in range(min(len(boundaries) - 1, i + _MAX_ENTRY), i, -1):
            if translate(text[start : boundaries[j]], language):
                found[start] = boundaries[j]
                i = j
                break
        else:
            i += 1
    return found


def _phrase_ends(text: str, units: Sequence[Span], index: int) -> list[int]:
    """Indices j such that units[index..j] is a phrase: joined by spaces or, unspaced, nothing."""
    ends = [index]
    for j in range(index + 1, min(index + _MAX_PHRASE, len(units))):
        gap = text[units[j - 1].end : units[j].start]
        joined = gap == "" if is_unspaced(units[j].text) else gap.isspace() and "\n" not in gap
        if not joined:
            break
        ends.append(j)
    return ends


def _match_case(translation: str, original: str) -> str:
    if original[:1].isupper() and translation[:1].islower():
        return translation[:1].upper() + translation[1:]
    return translation
