"""Every perturbation family on tagged sentences: one gold tag per word, carried by the rules.

A new family in `xstilts.perturb.builtin` is checked here without any change to this file.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest
import regex

from tests.perturb_support import LEXICONS
from xstilts.evaluate.perturbed_set import build_perturbed_set, read_perturbed_set
from xstilts.examples import TaggedExample
from xstilts.perturb import Edit, Resources, apply_edits, build_family, families
from xstilts.perturb.examples import example_fields, perturb_example, with_fields
from xstilts.perturb.tagged import (
    TagScheme,
    carry_tags,
    perturb_tagged,
    phrase_tags,
    tagged_units,
    word_spans,
)

RESOURCES = Resources(lexicon_dir=LEXICONS)
BUILT = {name: build_family(name, RESOURCES) for name in families()}
POS = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
    "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip
NER = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
SCHEMES = {"pos": POS, "ner": NER}
STRENGTHS = (0.1, 0.5, 1.0)
SEEDS = range(4)
_SPACE = regex.compile(r"\s+")

# (language, words, POS tags, NER tags): Latin with a multi-syllable Vietnamese word, Cyrillic,
# pointed Arabic, Devanagari with conjuncts, and Chinese words given apart as a treebank gives
# them; each has a word of the sample lexicons, so code-switching applies too.
SENTENCES = [
    (
        "en",
        "John Smith bought a car , and the book in New York .",
        "PROPN PROPN VERB DET NOUN PUNCT CCONJ DET NOUN ADP PROPN PROPN PUNCT",
        "B-PER I-PER O O O O O O O O B-LOC I-LOC O",
    ),
    (
        "vi",
        "Tôi có dei dáng ở Hà_Nội .",
        "PRON VERB NOUN NOUN ADP PROPN PUNCT",
        "O O O O O B-LOC O",
    ),
    (
        "ru",
        "Иван Петров купил делсык в Москве , ёж .",
        "PROPN PROPN VERB NOUN ADP PROPN PUNCT NOUN PUNCT",
        "B-PER I-PER O O O B-LOC O O O",
    ),
    (
        "ar",
        "اشترى أحمد لونطون في القاهرة وَقَدْ عَقْلًا .",
        "VERB PROPN NOUN ADP PROPN ADV NOUN PUNCT",
        "O B-PER O O B-LOC O O O",
    ),
    (
        "hi",
        "श्री राम ने खुना दिल्ली में ख़रीदी क्षत्रिय ।",
        "PROPN PROPN ADP NOUN PROPN ADP VERB NOUN PUNCT",
        "B-PER I-PER O O B-LOC O O O O",
    ),
    (
        "zh",
        "我 在 北京大学 有 花短 。",
        "PRON ADP PROPN VERB NOUN PUNCT",
        "O O B-ORG O O O",
    ),
]


def tagged(language: str, words: str, tags: str, names: tuple[str, ...]) -> TaggedExample:
    """An example from space-separated words ("_" is a space inside a word) and tag names."""
    split = tuple(w.replace("_", " ") for w in words.split())
    return TaggedExample(
        f"{language}-{len(split)}", language, split, tuple(map(names.index, tags.split()))
    )


def examples(scheme: str) -> list[TaggedExample]:
    column = 2 if scheme == "pos" else 3
    return [tagged(row[0], row[1], row[column], SCHEMES[scheme]) for row in SENTENCES]


def names_of(example: TaggedExample, names: tuple[str, ...]) -> list[str]:
    return [names[t] for t in example.tags]


# --- properties of every family -------------------------------------------------------------


def check_carried(name: str, clean: TaggedExample, scheme: str, strength: float, seed: int):
    names = SCHEMES[scheme]
    family = BUILT[name]
    perturbed, result = perturb_tagged(clean, family, strength, seed, names)
    assert (perturbed, result) == perturb_tagged(clean, family, strength, seed, names)
    assert len(perturbed.words) == len(perturbed.tags)
    assert all(0 <= t < len(names) for t in perturbed.tags)
    assert all(w.strip() for w in perturbed.words), perturbed.words
    assert result.text == perturbed.text and result.family == name
    # the recorded edits are the ones the words show (up to where spaces fall)
    written = apply_edits(clean.text, result.edits)
    assert _SPACE.sub("", written) == _SPACE.sub("", "".join(perturbed.words))
    if strength and family.supports(clean.lang):
        units = tagged_units(family, word_spans(clean.words))
        assert (result.n_units == len(units) and result.n_edited >= len(result.edits) > 0) or (
            not result.edits and result.n_edited == 0
        )
    if family.unit == "grapheme":
        assert perturbed.tags == clean.tags and len(perturbed.words) == len(clean.words)
    assert_untouched_words_keep_their_tags(clean, perturbed, result.edits, names)
    if scheme == "ner":
        assert_well_formed_bio(perturbed, names)
    assert_word_counts(name, clean, perturbed, result.edits)
    return perturbed


def assert_untouched_words_keep_their_tags(clean, perturbed, edits, names) -> None:
    """The words no edit touches (their edges included) appear in order with their tags; in BIO
    an I-X may have become B-X (the repair), nothing else."""
    spans = word_spans(clean.words)
    kept = [
        i
        for i, span in enumerate(spans)
        if not any(e.start <= span.end and span.start <= e.end for e in edits)
    ]
    out = list(zip(perturbed.words, perturbed.tags, strict=True))
    position = 0
    for index in kept:
        word, tag = clean.words[index], clean.tags[index]
        while position < len(out) and not (
            out[position][0] == word and _same_tag(names[tag], names[out[position][1]])
        ):
            position += 1
        assert position < len(out), (clean.words[index], clean, perturbed)
        position += 1


def _same_tag(before: str, after: str) -> bool:
    return after == before or (before.startswith("I-") and after == "B-" + before[2:])


def assert_well_formed_bio(example: TaggedExample, names) -> None:
    previous = "O"
    for tag in names_of(example, names):
        if tag.startswith("I-"):
            assert previous[2:] == tag[2:], (example, tag)
        previous = tag


def assert_word_counts(name: str, clean, perturbed, edits) -> None:
    """How many words each word-level family leaves (see the rules)."""
    before, after = len(clean.words), len(perturbed.words)
    if name == "word_delete":
        assert after == before - len(edits)
    elif name == "word_repeat":
        assert after == before + len(edits)
    elif name == "word_swap":
        assert sorted(perturbed.words) == sorted(clean.words)
    elif name == "spacing":
        splits = sum(e.start == e.end for e in edits)
        assert after == before + splits - (len(edits) - splits)
    elif name == "romanize":
        assert after == before and perturbed.tags == clean.tags


@pytest.mark.parametrize("name", families())
def test_every_family_keeps_one_valid_tag_per_word(name: str) -> None:
    changed = 0
    for scheme in SCHEMES:
        for clean, strength, seed in itertools.product(examples(scheme), STRENGTHS, SEEDS):
            changed += check_carried(name, clean, scheme, strength, seed) != clean
    assert changed >= 4  # every family perturbs some of these sentences


@pytest.mark.parametrize("name", families())
def test_the_hook_is_what_apply_uses(name: str) -> None:
    family = BUILT[name]
    for language, words, _, _ in SENTENCES:
        text = words.replace("_", " ")
        for strength, seed in itertools.product(STRENGTHS, SEEDS):
            units = family.units(text, language)
            plain = family.apply(text, language, strength, random.Random(seed))
            hooked = family.apply_to_units(text, language, units, strength, random.Random(seed))
            assert plain == hooked


# --- word-level rules, one by one ------------------------------------------------------------


def perturb(name: str, words: str, tags: str, names=POS, strength=1.0, seed=0, lang="en"):
    example = tagged(lang, words, tags, names)
    perturbed, result = perturb_tagged(example, BUILT[name], strength, seed, names)
    return list(perturbed.words), names_of(perturbed, names), result


def test_swapped_words_swap_their_tags() -> None:
    assert perturb("word_swap", "red car", "ADJ NOUN")[:2] == (["car", "red"], ["NOUN", "ADJ"])
    words, tags, _ = perturb("word_swap", "in Paris", "O B-LOC", NER)
    assert (words, tags) == (["Paris", "in"], ["B-LOC", "O"])


def test_a_swap_inside_one_name_keeps_it_one_entity() -> None:
    words, tags, _ = perturb("word_swap", "New York", "B-LOC I-LOC", NER)
    assert (words, tags) == (["York", "New"], ["B-LOC", "I-LOC"])
    # across the name's edge the tags move, and the repair starts the name again
    carried = carry_tags(
        ("John", "Smith", "bought"),
        tuple(map(NER.index, ["B-PER", "I-PER", "O"])),
        [Edit(5, 17, "bought Smith")],
        TagScheme(NER),
        character_level=False,
    )
    assert carried.words == ("John", "bought", "Smith")
    assert [NER[t] for t in carried.tags] == ["B-PER", "O", "B-PER"]


def test_a_deleted_word_takes_its_tag_with_it() -> None:
    for seed in range(6):
        words, tags, result = perturb("word_delete", "big car", "ADJ NOUN", strength=0.5, seed=seed)
        assert (words, tags) in ((["car"], ["NOUN"]), (["big"], ["ADJ"]))
        assert len(result.edits) == 1 and result.n_edited == 1


def test_a_name_that_loses_its_first_word_starts_again() -> None:
    carried = carry_tags(
        ("in", "New", "York", "City"),
        tuple(map(NER.index, ["O", "B-LOC", "I-LOC", "I-LOC"])),
        [Edit(3, 7, "")],
        TagScheme(NER),
        character_level=False,
    )
    assert carried.words == ("in", "York", "City")
    assert [NER[t] for t in carried.tags] == ["O", "B-LOC", "I-LOC"]


def test_ill_formed_gold_is_repaired_only_where_a_neighbour_changed() -> None:
    words, tags = ("a", "b", "c"), tuple(map(NER.index, ["O", "I-PER", "O"]))
    scheme = TagScheme(NER)
    kept = carry_tags(words, tags, [Edit(3, 5, "")], scheme, character_level=False)
    assert kept.words == ("a", "b") and [NER[t] for t in kept.tags] == ["O", "I-PER"]
    moved = carry_tags(words, tags, [Edit(0, 2, "")], scheme, character_level=False)
    assert moved.words == ("b", "c") and [NER[t] for t in moved.tags] == ["B-PER", "O"]


def test_a_repeated_word_copies_its_tag() -> None:
    assert perturb("word_repeat", "car", "NOUN")[:2] == (["car", "car"], ["NOUN", "NOUN"])
    words, tags, _ = perturb("word_repeat", "Paris", "B-LOC", NER)
    assert (words, tags) == (["Paris", "Paris"], ["B-LOC", "I-LOC"])  # one stuttered mention
    assert perturb("word_repeat", "了", "O", NER)[:2] == (["了", "了"], ["O", "O"])
    # an unspaced script writes the copy without a space; it is still a word of its own
    words, tags, result = perturb("word_repeat", "北京", "PROPN", lang="zh")
    assert (words, tags) == (["北京", "北京"], ["PROPN", "PROPN"])
    assert apply_edits("北京", result.edits) == "北京北京"


def test_romanize_keeps_a_word_with_a_space_one_word() -> None:
    words, tags, _ = perturb("romanize", "ở Hà_Nội", "O B-LOC", NER, lang="vi")
    assert (words, tags) == (["o", "Ha Noi"], ["O", "B-LOC"])


def test_spacing_merges_and_splits_by_the_rule() -> None:
    scheme = TagScheme(NER)

    def carry(words: str, tags: str, edits) -> tuple[tuple[str, ...], list[str]]:
        out = carry_tags(
            tuple(words.split()),
            tuple(map(NER.index, tags.split())),
            edits,
            scheme,
            character_level=False,
        )
        return out.words, [NER[t] for t in out.tags]

    merged = carry("met John Smith", "O B-PER I-PER", [Edit(3, 4, "")])
    assert merged == (("metJohn", "Smith"), ["B-PER", "I-PER"])
    merged = carry("John Paris here", "B-PER B-LOC I-LOC", [Edit(4, 5, "")])
    assert merged == (("JohnParis", "here"), ["B-PER", "B-LOC"])  # I-LOC repaired
    split = carry("Paris is", "B-LOC O", [Edit(2, 2, " "), Edit(7, 7, " ")])
    assert split == (("Pa", "ris", "i", "s"), ["B-LOC", "I-LOC", "O", "O"])
    pos = carry_tags(("ab", "cd"), (7, 15), [Edit(1, 1, " "), Edit(2, 3, "")], TagScheme(POS),
                     character_level=False)  # fmt: skip
    assert pos.words == ("a", "bcd") and [POS[t] for t in pos.tags] == ["NOUN", "NOUN"]


def test_spacing_splits_given_chinese_words_and_merges_spaced_ones() -> None:
    for seed in range(8):
        words, tags, _ = perturb("spacing", "北京大学 好", "B-ORG O", NER, seed=seed, lang="zh")
        assert "".join(words) == "北京大学好" and len(words) >= 3
        assert tags[0] == "B-ORG" and set(tags[1:-1]) == {"I-ORG"} and tags[-1] == "O"
    words, tags, _ = perturb("spacing", "Tôi Hà_Nội", "O B-LOC", NER, seed=1, lang="vi")
    assert "".join(words).replace(" ", "") == "TôiHàNội"


def test_phrase_tags_align_source_and_target_words() -> None:
    pos, ner = TagScheme(POS), TagScheme(NER)

    def tags(scheme, names, source: str, m: int) -> list[str]:
        return [names[t] for t in phrase_tags([names.index(s) for s in source.split()], m, scheme)]

    assert tags(pos, POS, "NOUN", 2) == ["NOUN", "NOUN"]
    assert tags(pos, POS, "DET NOUN", 1) == ["NOUN"]  # the last target word takes the head's
    assert tags(pos, POS, "DET NOUN", 2) == ["DET", "NOUN"]
    assert tags(pos, POS, "DET NOUN", 3) == ["DET", "NOUN", "NOUN"]
    assert tags(pos, POS, "ADJ ADP NOUN", 2) == ["ADJ", "NOUN"]
    assert tags(ner, NER, "B-LOC", 2) == ["B-LOC", "I-LOC"]
    assert tags(ner, NER, "B-PER I-PER", 1) == ["B-PER"]  # inside one entity: still one
    assert tags(ner, NER, "I-ORG I-ORG", 3) == ["I-ORG", "I-ORG", "I-ORG"]
    assert tags(ner, NER, "O O", 1) == ["O"]
    assert tags(ner, NER, "O B-LOC", 2) == ["O", "B-LOC"]
    assert tags(ner, NER, "B-LOC O", 3) == ["B-LOC", "O", "O"]


def codeswitch_into(*languages: str):
    return build_family(
        "codeswitch", Resources(lexicon_dir=LEXICONS, codeswitch_languages=languages)
    )


def test_a_code_switched_two_word_phrase_becomes_one_word() -> None:
    example = tagged("vi", "Tôi có dei dáng", "PRON VERB NOUN NOUN", POS)
    perturbed, result = perturb_tagged(example, codeswitch_into("en"), 1.0, 0, POS)
    assert "car" in perturbed.words and "dei" not in perturbed.words
    assert perturbed.tags[perturbed.words.index("car")] == POS.index("NOUN")
    assert Edit(7, 15, "car") in result.edits
    example = tagged("vi", "dei dáng", "B-ORG I-ORG", NER)
    perturbed, _ = perturb_tagged(example, codeswitch_into("en"), 1.0, 0, NER)
    assert perturbed.words == ("car",) and names_of(perturbed, NER) == ["B-ORG"]


def test_a_word_code_switched_into_a_two_word_phrase_gives_two_words() -> None:
    example = tagged("en", "the car", "O B-ORG", NER)
    perturbed, result = perturb_tagged(example, codeswitch_into("vi"), 1.0, 0, NER)
    assert perturbed.words == ("the", "dei", "dáng")
    assert names_of(perturbed, NER) == ["O", "B-ORG", "I-ORG"] and result.n_edited == 1


def test_an_entry_inside_a_coarser_chinese_word_rewrites_that_word() -> None:
    carried = carry_tags(
        ("我有花短", "。"), (15, 12), [Edit(2, 4, "book")], TagScheme(POS),
        character_level=False, phrases=True,
    )  # fmt: skip
    assert carried.words == ("我有book", "。") and carried.tags == (15, 12)


# --- character-level rules -------------------------------------------------------------------


def test_a_character_edit_never_empties_a_word() -> None:
    example = TaggedExample("1", "en", ("ab", "cd", "e"), (7, 7, 0))
    for seed in range(6):
        perturbed, result = perturb_tagged(example, BUILT["char_delete"], 1.0, seed, POS)
        assert len(perturbed.words) == 3 and all(perturbed.words) and perturbed.tags == (7, 7, 0)
        assert result.n_edited == len(result.edits) == 2
    carried = carry_tags(("ab", "c"), (1, 2), [Edit(0, 1, ""), Edit(1, 2, "")], TagScheme(POS),
                         character_level=True)  # fmt: skip
    assert carried.words == ("b", "c") and carried.dropped == (Edit(1, 2, ""),)


def test_character_edits_at_a_word_edge_belong_to_that_word() -> None:
    scheme = TagScheme(POS)
    edits = [Edit(2, 2, "\u2060"), Edit(3, 3, "x")]
    carried = carry_tags(("ab", "cd"), (1, 2), edits, scheme, character_level=True)
    assert carried.words == ("ab\u2060", "xcd") and carried.tags == (1, 2)
    assert carried.edits == tuple(edits) and carried.dropped == ()
    # an edit reaching over two words is dropped
    across = carry_tags(("ab", "cd"), (1, 2), [Edit(1, 4, "y")], scheme, character_level=True)
    assert across.words == ("ab", "cd") and across.dropped == (Edit(1, 4, "y"),)


# --- examples, records ------------------------------------------------------------------------


def test_tagged_examples_need_their_tag_names_and_rebuild_from_words() -> None:
    example = examples("ner")[0]
    assert example_fields(example) == {"text": example.text}
    with pytest.raises(ValueError, match="tag names"):
        perturb_example(example, BUILT["word_swap"], 0.5, 0)
    with pytest.raises(KeyError, match="words and tags"):
        with_fields(example, {"text": "x"})
    rebuilt = with_fields(example, {"words": ["a"] * len(example.words)})
    assert rebuilt.words == ("a",) * len(example.words) and rebuilt.tags == example.tags


def test_a_family_without_the_language_leaves_a_tagged_example_unchanged() -> None:
    example = TaggedExample("x", "xx", ("book", "car"), (7, 7))
    perturbed, results = perturb_example(example, BUILT["codeswitch"], 1.0, 0, POS)
    assert perturbed == example and results["text"].edits == ()
    (record,) = build_perturbed_set([example], {"codeswitch": BUILT["codeswitch"]}, [1.0], 0, POS)
    assert record["not_applicable"] is True and record["fields"]["words"] == ["book", "car"]


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_tagged_records_round_trip_through_the_perturbed_set(scheme: str) -> None:
    names = SCHEMES[scheme]
    chosen = {n: BUILT[n] for n in ("spacing", "word_repeat", "codeswitch", "char_swap")}
    clean = examples(scheme)
    records = build_perturbed_set(clean, chosen, [0.5, 1.0], 3, names)
    records = json.loads(json.dumps(records, ensure_ascii=False))  # as written to JSONL
    variants = read_perturbed_set(records, {(e.lang, e.id): e for e in clean})
    assert set(variants) == {f"{n}@{s:g}" for n in chosen for s in (0.5, 1.0)}
    for record in records:
        assert set(record["fields"]) == {"words", "tags"} and set(record["edits"]) <= {"text"}
    for variant, items in variants.items():
        name, strength = variant.split("@")
        for item in items:
            expected, results = perturb_example(item.clean, chosen[name], float(strength), 3, names)
            assert item.perturbed == expected and isinstance(item.perturbed, TaggedExample)
            assert item.units == results["text"].n_units and item.edited == results["text"].n_edited
    assert any(item.perturbed != item.clean for items in variants.values() for item in items)
