"""QA F1 and exact match against hand-computed cases: SQuAD v1.1's normalisation (XQuAD,
TyDiQA-GoldP) and MLQA's language-aware one, in English, German, Spanish, Vietnamese, Hindi,
Arabic and Chinese, the official scripts' quirks included."""

from __future__ import annotations

import pytest

from xstilts.errors import XstiltsError
from xstilts.qa_metrics import exact_match, f1, mlqa_tokens, score, squad_tokens

# (normalisation, language, prediction, gold, exact match, F1), each worked out by hand
CASES = [
    # SQuAD: case, ASCII punctuation and a/an/the go; F1 over whitespace tokens
    ("squad", "en", "The Eiffel Tower", "Eiffel Tower.", 1.0, 1.0),
    # pred [in, paris, france], gold [paris]: P 1/3, R 1, F1 2(1/3)/(4/3) = 1/2
    ("squad", "en", "in Paris, France", "Paris", 0.0, 0.5),
    ("squad", "en", "a dog", "the cat", 0.0, 0.0),
    # an unspaced answer is one token under SQuAD's rule: all or nothing
    ("squad", "zh", "北京大学", "北京", 0.0, 0.0),
    # the Devanagari danda is not ASCII punctuation: SQuAD keeps it
    ("squad", "hi", "भारत।", "भारत", 0.0, 0.0),
    # MLQA: every Unicode punctuation mark goes
    ("mlqa", "hi", "भारत।", "भारत", 1.0, 1.0),
    # MLQA zh: each ideograph a token; [北 京 大 学] vs [北 京]: P 1/2, R 1, F1 2/3
    ("mlqa", "zh", "北京大学", "北京", 0.0, 2 / 3),
    ("mlqa", "zh", "“北京”。", "北京", 1.0, 1.0),
    # a Latin word inside Chinese text stays one token: [东 京 tokyo] vs [tokyo]: F1 1/2
    ("mlqa", "zh", "东京 Tokyo", "Tokyo", 0.0, 0.5),
    # German articles; [haus, königs] vs [haus]: F1 2/3
    ("mlqa", "de", "der Bundestag", "Bundestag", 1.0, 1.0),
    ("mlqa", "de", "dem Haus des Königs", "Haus", 0.0, 2 / 3),
    ("mlqa", "es", "el libro", "libro", 1.0, 1.0),
    # the script's Vietnamese list removes "của" (of) too
    ("mlqa", "vi", "nhà của tôi", "nhà tôi", 1.0, 1.0),
    # Arabic: the article prefix goes
    ("mlqa", "ar", "الكتاب", "كتاب", 1.0, 1.0),
    # ...and so do the letters alef-lam anywhere: جمال (beauty) reads as جم, like الجمال
    ("mlqa", "ar", "الجمال", "جمال", 1.0, 1.0),
    ("mlqa", "en", "The Eiffel Tower", "Eiffel Tower.", 1.0, 1.0),
]


@pytest.mark.parametrize(("normalization", "lang", "pred", "gold", "em", "f1_value"), CASES)
def test_hand_computed_scores(normalization, lang, pred, gold, em, f1_value) -> None:
    assert exact_match(pred, gold, normalization, lang) == em
    assert f1(pred, gold, normalization, lang) == pytest.approx(f1_value)


def test_the_arabic_rule_cuts_inside_words_as_the_official_script_does() -> None:
    assert mlqa_tokens("جمال", "ar") == ["جم"]
    assert mlqa_tokens("سؤال مهم", "ar") == ["سؤ", "مهم"]  # سؤال (question) loses its ال too


def test_squad_normalisation_steps() -> None:
    assert squad_tokens("  The  (Big) an apple, A pear!") == ["big", "apple", "pear"]
    assert squad_tokens("Theatre") == ["theatre"]  # articles only as whole words


def test_the_best_gold_answer_counts() -> None:
    assert score("cat", ["a dog", "the cat", "black cat"]) == (1.0, 1.0)
    em, value = score("black dog", ["a dog", "the black cat"])
    assert em == 0.0 and value == pytest.approx(2 / 3)  # [black dog] vs [dog]: P 1/2, R 1
    with pytest.raises(ValueError):
        score("x", [])


def test_empty_answers_score_like_the_scripts() -> None:
    # both scripts: F1 0 when nothing is shared, even two empty strings; EM compares texts
    assert f1("", "the") == 0.0 and exact_match("", "the") == 1.0
    assert f1("", "Paris") == 0.0 and exact_match("", "Paris") == 0.0


def test_a_language_mlqa_does_not_cover_is_one_line() -> None:
    with pytest.raises(XstiltsError, match="no rule for language 'fi'"):
        f1("a", "a", "mlqa", "fi")
    with pytest.raises(XstiltsError, match="unknown answer normalisation"):
        f1("a", "a", "bleu", "en")
