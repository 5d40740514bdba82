"""F1 and exact match of extractive QA, with each benchmark's official answer normalisation.

- `squad`: the SQuAD v1.1 evaluation script (`evaluate-v1.1.py`), which XTREME uses for SQuAD,
  XQuAD and TyDiQA-GoldP: lower-case, drop ASCII punctuation, drop the English articles a/an/the,
  split on whitespace. Written for English: a Chinese or Thai answer without spaces is one token,
  so its F1 is all or nothing (XTREME keeps this; so do we, for comparable numbers).
- `mlqa`: MLQA's `mlqa_evaluation_v1.py`, language-aware: every Unicode punctuation character
  (category P*) and ASCII punctuation removed, each language's articles removed, whitespace
  tokens for en es hi vi de ar and, for zh, every CJK ideograph (and punctuation) its own token.
  Two choices of that script are kept as written, because the published MLQA numbers use them:
  the Vietnamese "articles" include the words của (of), là (is), cái, chiếc, những; and the
  Arabic pattern `\\sال^|ال` removes the letters ال wherever they occur (inside words too), not
  only the article prefix. For a language the script does not know it raises; here such a
  language is an error too.

Scores are fractions in [0, 1]; the score of a prediction is its best over the gold answers.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache

from xstilts.errors import XstiltsError

NORMALIZATIONS = ("squad", "mlqa")
_ASCII_PUNCT = frozenset(string.punctuation)
_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")
_MLQA_ARTICLES = {
    "en": re.compile(r"\b(a|an|the)\b"),
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "ar": re.compile(r"\sال^|ال"),
}
_MLQA_NO_ARTICLES = frozenset({"hi", "zh"})
_MLQA_WHITESPACE = frozenset({"en", "es", "hi", "vi", "de", "ar"})
_MLQA_MIXED = frozenset({"zh"})
_CJK = re.compile(r"[\u4e00-\u9fa5]")
MLQA_LANGUAGES = _MLQA_WHITESPACE | _MLQA_MIXED


@cache
def _unicode_punct() -> frozenset[str]:
    """Every character of a Unicode punctuation category, plus ASCII punctuation (MLQA)."""
    found = {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")}
    return frozenset(found | _ASCII_PUNCT)


def squad_tokens(text: str) -> list[str]:
    """SQuAD v1.1's `normalize_answer(text).split()`."""
    text = "".join(ch for ch in text.lower() if ch not in _ASCII_PUNCT)
    return _SQUAD_ARTICLES.sub(" ", text).split()


def mlqa_tokens(text: str, lang: str) -> list[str]:
    """MLQA's `normalize_answer(text, lang).split()`."""
    if lang not in MLQA_LANGUAGES:
        raise XstiltsError(
            f"MLQA's answer normalisation has no rule for language '{lang}' "
            f"(it knows {', '.join(sorted(MLQA_LANGUAGES))})"
        )
    punct = _unicode_punct()
    text = "".join(ch for ch in text.lower() if ch not in punct)
    if lang not in _MLQA_NO_ARTICLES:
        text = _MLQA_ARTICLES[lang].sub(" ", text)
    tokens = _mixed_segmentation(text, punct) if lang in _MLQA_MIXED else text.split()
    return [t for t in tokens if t.strip()]


def _mixed_segmentation(text: str, punct: frozenset[str]) -> list[str]:
    """Whitespace tokens, with each CJK ideograph and punctuation character a token of its own."""
    tokens, pending = [], ""
    for ch in text:
        if _CJK.match(ch) or ch in punct:
            tokens += pending.split()
            pending = ""
            tokens.append(ch)
        else:
            pending += ch
    return tokens + pending.split()


def answer_tokens(text: str, normalization: str, lang: str) -> list[str]:
    if normalization == "squad":
        return squad_tokens(text)
    if normalization == "mlqa":
        return mlqa_tokens(text, lang)
    raise XstiltsError(f"unknown answer normalisation '{normalization}' ({NORMALIZATIONS})")


def f1(prediction: str, gold: str, normalization: str = "squad", lang: str = "en") -> float:
    """Token-overlap F1 of one prediction against one gold answer."""
    pred = answer_tokens(prediction, normalization, lang)
    truth = answer_tokens(gold, normalization, lang)
    same = sum((Counter(pred) & Counter(truth)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(truth)
    return 2 * precision * recall / (precision + recall)


def exact_match(
    prediction: str, gold: str, normalization: str = "squad", lang: str = "en"
) -> float:
    """1.0 when the normalised texts are equal (the scripts compare the joined tokens)."""
    same = answer_tokens(prediction, normalization, lang) == answer_tokens(
        gold, normalization, lang
    )
    return float(same)


def score(
    prediction: str, golds: Sequence[str], normalization: str = "squad", lang: str = "en"
) -> tuple[float, float]:
    """(exact match, F1) of a prediction: each the best over the gold answers."""
    if not golds:
        raise ValueError("no gold answer to score against")
    return (
        max(exact_match(prediction, g, normalization, lang) for g in golds),
        max(f1(prediction, g, normalization, lang) for g in golds),
    )
