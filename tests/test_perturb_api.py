"""The package's public surface: registry, seeding, edits, segmentation, bad input."""

from __future__ import annotations

import random

import pytest

from tests.perturb_support import LEXICONS, xlmr_style_tokenizer
from xstilts.errors import XstiltsError
from xstilts.perturb import (
    Edit,
    Resources,
    apply_edits,
    build_families,
    build_family,
    effective_mask,
    families,
    is_effective,
    rng_for,
)
from xstilts.perturb.errors import BadInputError, LexiconError, UnknownFamilyError
from xstilts.perturb.segment import graphemes, script_of, words

RESOURCES = Resources(lexicon_dir=LEXICONS)


def test_registry_knows_every_family_with_a_valid_unit() -> None:
    names = families()
    assert len(names) >= 14 and names == sorted(names)
    for name, family in build_families(names, RESOURCES).items():
        assert family.name == name and family.unit in ("grapheme", "word")


def test_unknown_family_is_one_line_listing_the_known_ones() -> None:
    with pytest.raises(UnknownFamilyError) as error:
        build_family("typo", RESOURCES)
    message = str(error.value)
    assert "\n" not in message and "'typo'" in message and "keyboard" in message
    assert isinstance(error.value, XstiltsError)
    with pytest.raises(UnknownFamilyError, match="'a', 'b'"):
        build_families(["keyboard", "a", "b"], RESOURCES)


def test_rng_for_is_stable_and_separates_its_parts() -> None:
    assert rng_for(1, "ex-1", "keyboard").random() == rng_for(1, "ex-1", "keyboard").random()
    assert rng_for(1, "ex-1", "keyboard").random() != rng_for(2, "ex-1", "keyboard").random()
    assert rng_for(1, "ex-1", "keyboard").random() != rng_for(1, "ex-2", "keyboard").random()
    # SHA-256 of "0|ex-1|keyboard", not Python's per-process salted hash(): fixed everywhere
    assert rng_for(0, "ex-1", "keyboard").randrange(10**9) == 392476776


def test_apply_edits_replaces_inserts_and_deletes_by_code_point() -> None:
    text = "a😀bc"
    edits = [Edit(0, 1, "A"), Edit(2, 2, "-"), Edit(3, 4, "")]
    assert apply_edits(text, edits) == "A😀-b"
    with pytest.raises(ValueError):
        apply_edits(text, [Edit(0, 2, "x"), Edit(1, 3, "y")])


@pytest.mark.parametrize("bad", [b"bytes", None, 3])
def test_non_text_input_is_one_clear_error(bad: object) -> None:
    with pytest.raises(BadInputError, match="str"):
        build_family("keyboard", RESOURCES).apply(bad, "en", 0.5, random.Random(0))  # type: ignore[arg-type]


@pytest.mark.parametrize("strength", [-0.1, 1.5, float("nan"), "0.5"])
def test_strength_outside_unit_interval_is_rejected(strength: object) -> None:
    with pytest.raises(BadInputError, match="strength"):
        build_family("char_swap", RESOURCES).apply("hello", "en", strength, random.Random(0))  # type: ignore[arg-type]


def test_lone_surrogate_is_rejected_with_its_offset() -> None:
    for name in families():
        with pytest.raises(BadInputError, match="offset 2"):
            build_family(name, RESOURCES).apply("ab\ud800c", "en", 0.5, random.Random(0))


@pytest.mark.parametrize("name", families())
def test_text_without_words_comes_back_unchanged(name: str) -> None:
    family = build_family(name, RESOURCES)
    for text in ["", "   ", "\x00\x01\x7f\n", "😀 👍🏽 🇺🇸", "?! — …", "\u200b\u2060"]:
        result = family.apply(text, "xx", 1.0, random.Random(0))
        assert (result.text, result.edits) == (text, ())


@pytest.mark.parametrize("name", families())
def test_unsupported_script_gets_no_foreign_characters(name: str) -> None:
    text = "𒀀𒀁𒀂 𒀃𒀄 𒀅𒀆"  # cuneiform: no layout, alphabet, policy or lexicon
    result = build_family(name, RESOURCES).apply(text, "akk", 1.0, random.Random(0))
    inserted = "".join(e.replacement for e in result.edits)
    assert all(c in text or c.isspace() or not c.isprintable() for c in inserted)


@pytest.mark.parametrize("name", families())
def test_very_long_text_is_handled(name: str) -> None:
    text = "Все люди рождаются свободными и равными. " * 300
    result = build_family(name, RESOURCES).apply(text, "ru", 0.05, random.Random(0))
    assert apply_edits(text, result.edits) == result.text


def test_missing_lexicon_directory_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(LexiconError, match="does not exist"):
        build_family("codeswitch", Resources(lexicon_dir=tmp_path / "none"))


def test_graphemes_keep_clusters_whole() -> None:
    assert graphemes("क्षत्रिय") == ["क्ष", "त्रि", "य"]
    assert graphemes("cafe\u0301 👨‍👩‍👧") == ["c", "a", "f", "e\u0301", " ", "👨‍👩‍👧"]


def test_chinese_segmentation_yields_multi_character_words() -> None:
    spans = [s.text for s in words("人人生而自由，在尊严和权利上一律平等。", "zh")]
    assert {"自由", "尊严", "权利", "平等"} <= set(spans) and "，" not in spans


def test_word_offsets_are_code_points_even_after_astral_characters() -> None:
    text = "😀 hello 𠀀 мир"
    assert [(s.text, text[s.start : s.end]) for s in words(text, "en")] == [
        (s.text, s.text) for s in words(text, "en")
    ]
    assert [s.text for s in words(text, "en")] == ["hello", "𠀀", "мир"]


def test_thai_and_japanese_are_segmented_into_words() -> None:
    assert len(words("ภาษาไทยง่ายนิดเดียว", "th")) >= 4
    assert len(words("私は日本語を勉強しています", "ja")) >= 5


@pytest.mark.parametrize(
    ("text", "script"),
    [("Привет, world!", "Cyrillic"), ("مرحبا", "Arabic"), ("नमस्ते", "Devanagari"),
     ("中文", "Han"), ("123 !", "Common"), ("Tiếng Việt", "Latin")],
)  # fmt: skip
def test_script_of_names_the_dominant_script(text: str, script: str) -> None:
    assert script_of(text) == script


def test_effective_mask_flags_what_the_normaliser_erases() -> None:
    tokenizer = xlmr_style_tokenizer()
    pairs = [("hello world", "hello world"), ("hello", "ｈｅｌｌｏ"), ("hello", "hel\u2060lo")]
    report = effective_mask(tokenizer, pairs)
    assert report.flags == (False, False, True)
    assert report.rate == pytest.approx(1 / 3) and report.n_effective == 1
    assert not is_effective(tokenizer, "cafe\u0301", "café")
