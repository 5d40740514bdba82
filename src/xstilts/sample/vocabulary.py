"""Concepts of the sample world and their surface forms in every language.

English forms are real words; every other language gets one distinct form per concept form,
either a cognate (a ``cognate_fraction`` of nouns, places and adjectives, derived from the
English word) or a fresh synthetic word. Verbs with two English forms (see/watch) are synonyms
and get two distinct forms in every language, which the paraphrase tasks rely on.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .cognates import cognate
from .languages import LANGUAGES, Language, is_well_formed, make_word


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NAMES: tuple[str, ...] = _words(
    "Ana Omar Lena Ravi Mei Ivan Sara Kofi Yuki Pablo Nina Tariq Elena Arjun Lin Olga Amir "
    "Priya Chen Maria Hassan Anya Tomas Leila Kenji Rosa Dmitri Fatima Sanjay Hana"
)
_NAME_SET = frozenset(NAMES)


@dataclass(frozen=True)
class Concept:
    """One meaning; ``kinds`` is the noun class, or the object classes a verb accepts."""

    key: str
    pos: str
    forms: tuple[str, ...]
    kinds: tuple[str, ...] = ()


_NOUNS = {
    "object": "book car|automobile cup|mug bag|sack chair table lamp key ball box hat shoe pen "
    "phone|telephone bottle clock",
    "animal": "dog cat horse bird cow goat rabbit duck lion tiger monkey frog",
    "food": "apple banana cake egg orange lemon tomato potato sandwich cookie carrot cherry",
    "copa": "bread water coat medicine doctor shirt face song map window",
}
_ANY = "object animal food place person"
_VERBS = (
    ("see|watch", _ANY),
    ("buy|purchase", "object animal food"),
    ("carry|hold", "object animal food"),
    ("cook|prepare", "food"),
    ("find|discover", _ANY),
    ("take|grab", "object food"),
    ("like|enjoy", "object animal food place"),
    ("sell", "object animal food"),
    ("wash", "object animal"),
    ("paint", "object place"),
    ("draw", "object animal place person"),
    ("eat", "food"),
    ("bring", "object food"),
    ("clean", "object place"),
    ("throw", "object food"),
    ("call", "person"),
    ("help", "person"),
)
_COPA_VERBS = "drink wear visit change read sing open"
_INTRANSITIVE = "sleep cry run hide"
ADJECTIVES = _words(
    "red blue green yellow black white brown big small old new long heavy soft round cheap"
)
PLACES = _words("park market kitchen garden library house city village school office shop forest")
STATES = _words(
    "hungry thirsty tired cold sick hurt wet dirty bored happy sad late lost hot scared rich"
)
# Cause -> effect world knowledge: a state and the action it leads to (object None: none).
COPA_PAIRS: tuple[tuple[str, str, str | None], ...] = (
    ("hungry", "eat", "bread"),
    ("thirsty", "drink", "water"),
    ("tired", "sleep", None),
    ("cold", "wear", "coat"),
    ("sick", "take", "medicine"),
    ("hurt", "visit", "doctor"),
    ("wet", "change", "shirt"),
    ("dirty", "wash", "face"),
    ("bored", "read", "book"),
    ("happy", "sing", "song"),
    ("sad", "cry", None),
    ("late", "run", None),
    ("lost", "buy", "map"),
    ("hot", "open", "window"),
    ("scared", "hide", None),
    ("rich", "buy", "car"),
)


def _concepts() -> dict[str, Concept]:
    items: list[Concept] = []
    for kind, spec in _NOUNS.items():
        items += [
            Concept(w.split("|")[0], "noun", tuple(w.split("|")), (kind,)) for w in spec.split()
        ]
    items += [Concept(p, "place", (p,), ("place",)) for p in PLACES]
    items += [Concept(a, "adj", (a,)) for a in ADJECTIVES]
    items += [Concept(s, "state", (s,)) for s in STATES]
    items += [
        Concept(v.split("|")[0], "verb", tuple(v.split("|")), tuple(k.split())) for v, k in _VERBS
    ]
    items += [Concept(v, "verb", (v,), ("copa",)) for v in _COPA_VERBS.split()]
    items += [Concept(v, "verb", (v,)) for v in _INTRANSITIVE.split()]
    return {c.key: c for c in items}


CONCEPTS: dict[str, Concept] = _concepts()
GENERAL_VERBS: tuple[str, ...] = tuple(v.split("|")[0] for v, _ in _VERBS)


def nouns_of(kind: str) -> tuple[str, ...]:
    """Concept keys of the nouns (or places) of one class, in a fixed order."""
    return tuple(c.key for c in CONCEPTS.values() if kind in c.kinds and c.pos != "verb")


def is_name(token: str | None) -> bool:
    """Whether a frame slot holds a person name rather than a concept key."""
    return token in _NAME_SET


def plural(word: str) -> str:
    """Regular English plural (every noun of the world is regular)."""
    if word.endswith(("s", "x", "ch", "sh", "o")):
        return word + "es"
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


third_person = plural  # English 3rd person singular follows the same spelling rules


@dataclass(frozen=True)
class Vocabulary:
    """Surface forms of every concept form in one language."""

    language: Language
    forms: dict[tuple[str, int], str]
    switched: frozenset[tuple[str, int]] = frozenset()  # code-switched forms

    def form(self, key: str, alt: int = 0) -> str:
        return self.forms[(key, alt)]

    def inflect(self, key: str, alt: int, rule: Callable[[str], str]) -> str:
        """Apply an (English) inflection rule unless the form is code-switched."""
        form = self.forms[(key, alt)]
        return form if (key, alt) in self.switched else rule(form)


def build_lexicon(lang: str, seed: int, cognate_fraction: float) -> Vocabulary:
    """Deterministic lexicon of ``lang``; raises if two concept forms would coincide."""
    language = LANGUAGES[lang]
    if lang == "en":
        forms = {(c.key, i): f for c in CONCEPTS.values() for i, f in enumerate(c.forms)}
        return Vocabulary(language, forms)
    rng = random.Random(f"{seed}:lexicon:{lang}")
    borrowable = [
        (c.key, i)
        for c in CONCEPTS.values()
        if c.pos in ("noun", "place", "adj")
        for i in range(len(c.forms))
    ]
    picked = random.Random(f"{seed}:cognates:{lang}").sample(
        borrowable, k=round(cognate_fraction * len(borrowable))
    )
    borrowed = {slot: True for slot in picked}
    used = {w for w in language.words.values() if w} | {n.lower() for n in NAMES}
    forms = {}
    for concept in CONCEPTS.values():
        for i, english in enumerate(concept.forms):
            word = cognate(english, lang, rng) if borrowed.get((concept.key, i)) else ""
            if concept.pos == "adj" and lang == "ru" and word:
                word += "ый"
            while not word or word in used or not is_well_formed(lang, word):
                word = make_word(lang, concept.pos, rng)
            used.add(word)
            forms[(concept.key, i)] = unicodedata.normalize("NFC", word)
    if len(set(forms.values())) != len(forms):
        raise ValueError(f"word forms of {lang} are not unique")
    return Vocabulary(language, forms)


def english_surface_forms(key: str, alt: int) -> list[str]:
    """The English words a concept form shows up as: base form, then plural or 3rd person."""
    concept = CONCEPTS[key]
    base = concept.forms[alt]
    if concept.pos == "noun":
        return [base, plural(base)]
    if concept.pos == "verb":
        return [base, third_person(base)]
    return [base]


def bilingual_entries(lexicon: Vocabulary) -> list[tuple[str, str]]:
    """(English surface word, translation) pairs in concept order, for code-switching."""
    return [
        (english, word)
        for (key, alt), word in lexicon.forms.items()
        for english in english_surface_forms(key, alt)
    ]
