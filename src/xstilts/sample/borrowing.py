"""Code-switching: sentences of one language with some words taken from another.

Mixed-language text is common on the web (Hinglish, Chinese-English chat) and it is the anchor
that lets a tiny encoder trained for a few CPU minutes align its languages: a borrowed word
shares the contexts of its translation. Every non-English corpus borrows from English and the
English corpus borrows from the other languages, so alignment is learnt in both directions.
"""

from __future__ import annotations

import random
from dataclasses import replace

from .vocabulary import Vocabulary

SWITCH_SENTENCES = 0.7  # share of corpus sentences that are code-switched
SWITCH_WORDS = 0.4  # chance that a word of such a sentence comes from the donor language
_SWITCHABLE = ("neg", "loc", "and", "so", "because", "what", "who", "where")


def code_switched(lexicon: Vocabulary, donor: Vocabulary, rng: random.Random) -> Vocabulary:
    """A copy of ``lexicon`` where each content and function word is the donor's by chance."""
    forms, switched = dict(lexicon.forms), set(lexicon.switched)
    for key in lexicon.forms:
        if rng.random() < SWITCH_WORDS:
            forms[key] = donor.forms[key]
            switched.add(key)
    words = dict(lexicon.language.words)
    for key in _SWITCHABLE:
        if rng.random() < SWITCH_WORDS:
            words[key] = donor.language.words[key]
    return Vocabulary(replace(lexicon.language, words=words), forms, frozenset(switched))
