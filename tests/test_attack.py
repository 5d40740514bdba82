"""The adversarial search: it flips a fragile model, never a constant one, and keeps its budgets."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import numpy as np
import pytest

from xstilts.attack import AttackBudget, Attacker
from xstilts.attack.search import PredictionCache, merge_units
from xstilts.errors import XstiltsError
from xstilts.examples import ChoiceExample, Example, PairExample
from xstilts.perturb import Resources, apply_edits, build_families
from xstilts.perturb.base import Perturbation
from xstilts.perturb.examples import example_fields
from xstilts.perturb.lexicon import lexicon_languages, load_lexicon
from xstilts.perturb.segment import Span, words

LEXICONS = Path(__file__).resolve().parents[1] / "data" / "lexicon"


class KeywordModel:
    """A deliberately fragile classifier: class 1 iff a keyword appears in the first field.
    It counts the inputs it is asked about."""

    def __init__(self, keyword: str) -> None:
        self.keyword, self.calls, self.inputs = keyword, 0, 0

    def __call__(self, examples: list[Example]) -> np.ndarray:
        self.calls, self.inputs = self.calls + 1, self.inputs + len(examples)
        hits = [self.keyword in next(iter(example_fields(e).values())).split() for e in examples]
        return np.array([[0.1, 0.9] if hit else [0.8, 0.2] for hit in hits])


class ConstantModel(KeywordModel):
    def __init__(self) -> None:
        super().__init__("")

    def __call__(self, examples: list[Example]) -> np.ndarray:
        super().__call__(examples)
        return np.tile([0.3, 0.7], (len(examples), 1))


def attacker(
    model, names=("keyboard", "char_swap", "char_delete"), cache=True, cache_size=100_000
) -> Attacker:
    families = build_families(names, Resources(lexicon_dir=LEXICONS))
    return Attacker(None, None, "x", families, predict_fn=model, cache=cache, cache_size=cache_size)


PAIRS = [
    PairExample("1", "en", "the film was good and long", "a film", 1),
    PairExample("2", "ru", "фильм был хороший и длинный", "фильм", 1),
    PairExample("3", "hi", "फिल्म बहुत अच्छी थी", "फिल्म", 1),
]
KEYWORDS = {"1": "good", "2": "хороший", "3": "अच्छी"}


@pytest.mark.parametrize("example", PAIRS, ids=lambda e: e.lang)
def test_flips_a_keyword_classifier_by_editing_the_keyword(example: PairExample) -> None:
    result = attacker(KeywordModel(KEYWORDS[example.id])).attack(
        example, example.lang, AttackBudget(max_unit_fraction=0.2), random.Random(0)
    )
    assert result.target == 1 and result.flipped
    assert result.adversarial_probs.argmax() == 0
    assert result.perturbed_units == 1  # ranking finds the keyword first
    (edit,) = result.edits["text_a"]
    assert example.text_a[edit.start : edit.end] == KEYWORDS[example.id]
    assert apply_edits(example.text_a, result.edits["text_a"]) == result.adversarial.text_a
    assert result.adversarial.text_b == example.text_b


def test_never_flips_a_constant_model_and_respects_the_query_budget() -> None:
    budget = AttackBudget(max_unit_fraction=1.0, max_queries=30, beam_width=3)
    result = attacker(ConstantModel()).attack(PAIRS[0], "en", budget, random.Random(0))
    assert not result.flipped
    assert result.queries <= budget.max_queries
    assert result.clean_probs.tolist() == result.adversarial_probs.tolist()


def test_edit_budget_holds_even_when_more_edits_would_help() -> None:
    # the keyword occurs twice: both must change to flip, but the budget allows one word of 12
    text = "good good one two three four five six seven eight nine ten"
    example = PairExample("4", "en", text, "x", 1)

    class TwoKeywords(KeywordModel):
        def __call__(self, examples):
            probs = super().__call__(examples)
            for row, e in zip(probs, examples, strict=True):
                row[:] = [0.1, 0.9] if "good" in e.text_a.split() else [0.8, 0.2]
            return probs

    budget = AttackBudget(max_unit_fraction=0.1, max_queries=500)
    result = attacker(TwoKeywords("good")).attack(example, "en", budget, random.Random(1))
    assert result.perturbed_units <= budget.max_changes(result.total_units) == 1
    assert not result.flipped


def test_same_seed_same_attack_and_choice_examples_work() -> None:
    example = ChoiceExample("5", "en", "good weather today", "effect", ("we walk", "we stay"), 0)
    runs = [
        attacker(KeywordModel("good")).attack(example, "en", AttackBudget(), random.Random(7))
        for _ in range(2)
    ]
    assert runs[0].adversarial == runs[1].adversarial and runs[0].flipped
    assert runs[0].adversarial.question == "effect"  # the relation word is never perturbed


def test_codeswitching_attack_swaps_in_lexicon_words() -> None:
    lexicon = dict(
        line.split("\t")[:2] for line in (LEXICONS / "en-ru.tsv").read_text().splitlines()
    )
    word = next(w for w in lexicon if w.isalpha() and len(w) > 3)
    example = PairExample("6", "en", f"the {word} is here", "x", 1)
    scorer = KeywordModel(word)
    budget = AttackBudget(max_unit_fraction=0.5, beam_width=3)
    result = attacker(scorer, ("codeswitch",)).attack(example, "en", budget, random.Random(0))
    assert result.flipped and result.families == ("codeswitch",)
    (edit,) = result.edits["text_a"]
    assert edit.replacement != word


def test_empty_and_unsegmentable_inputs_are_left_alone() -> None:
    for text in ("", "   ", "!!! ???", "\u200f\u202e"):
        example = PairExample("7", "ar", text, "", 1)
        result = attacker(KeywordModel("x")).attack(example, "ar", AttackBudget(), random.Random(0))
        assert not result.flipped and result.perturbed_units == 0 and result.total_units == 0


def test_bad_budgets_are_one_line_errors() -> None:
    with pytest.raises(XstiltsError, match="max_unit_fraction"):
        AttackBudget(max_unit_fraction=0)
    with pytest.raises(XstiltsError, match="max_queries"):
        AttackBudget(max_queries=0)


def test_many_examples_in_lockstep_match_one_at_a_time_with_fewer_model_calls() -> None:
    jobs = [(e, e.lang, KEYWORDS[e.id]) for e in PAIRS] * 2
    singles = []
    for example, lang, keyword in jobs:
        model = KeywordModel(keyword)
        singles.append(attacker(model).attack(example, lang, AttackBudget(), random.Random(3)))

    class AnyKeyword(KeywordModel):
        def __call__(self, examples):
            self.calls += 1
            words = [next(iter(example_fields(e).values())).split() for e in examples]
            hits = [any(k in w for k in KEYWORDS.values()) for w in words]
            return np.array([[0.1, 0.9] if hit else [0.8, 0.2] for hit in hits])

    model = AnyKeyword("")
    together = attacker(model).attack_many(
        [(e, lang, random.Random(3)) for e, lang, _ in jobs], AttackBudget()
    )
    assert [r.adversarial for r in together] == [r.adversarial for r in singles]
    assert [r.queries for r in together] == [r.queries for r in singles]
    assert model.calls <= max(3 + r.perturbed_units for r in singles)  # one call per step


def test_the_cache_spares_repeated_inputs_but_queries_are_still_counted() -> None:
    example, budget = PAIRS[0], AttackBudget(max_unit_fraction=1.0, beam_width=3)
    model = KeywordModel("nothing")
    search = attacker(model)
    first = search.attack(example, "en", budget, random.Random(0))
    sent = model.inputs
    again = search.attack(example, "en", budget, random.Random(0))
    assert again.adversarial == first.adversarial and again.queries == first.queries == sent
    assert model.inputs == sent  # the second attack was answered from the cache
    naive_model = KeywordModel("nothing")
    naive = attacker(naive_model, cache=False).attack(example, "en", budget, random.Random(0))
    assert naive.adversarial == first.adversarial and naive_model.inputs == naive.queries


class HashModel:
    """Distinct, reproducible probabilities for every distinct input, the question included; it
    records how many inputs it was sent."""

    def __init__(self) -> None:
        self.inputs = 0

    def __call__(self, examples: list[Example]) -> np.ndarray:
        self.inputs += len(examples)
        return np.array([self.row(e) for e in examples])

    @staticmethod
    def row(example: Example) -> list[float]:
        texts = [*example_fields(example).values(), getattr(example, "question", "")]
        p = (zlib.crc32("\x1f".join(texts).encode()) % 1000 + 1) / 1002
        return [1.0 - p, p]


def _sentences(n: int) -> list[Example]:
    return [PairExample(str(i), "en", f"sentence number {i}", "x", 0) for i in range(n)]


def test_a_call_larger_than_the_cache_returns_every_prediction() -> None:
    model, examples = HashModel(), _sentences(10)
    cache = PredictionCache(model, size=3)
    probs = cache(examples)
    assert probs.tolist() == [HashModel.row(e) for e in examples]
    assert len(cache) == 3 and all(e in cache for e in examples[-3:])
    assert model.inputs == 10


def test_a_hit_needed_by_the_same_call_is_not_lost_to_eviction() -> None:
    model = HashModel()
    a, b, c, d = _sentences(4)
    cache = PredictionCache(model, size=2)
    cache([a, b])
    probs = cache([a, c, d, a])  # a is a hit; storing c and d evicts everything older
    assert probs.tolist() == [HashModel.row(e) for e in (a, c, d, a)]
    assert model.inputs == 4  # a was not asked about twice


def test_the_cache_evicts_the_least_recently_used_input() -> None:
    model = HashModel()
    a, b, c = _sentences(3)
    cache = PredictionCache(model, size=2)
    cache([a])
    cache([b])
    cache([a])  # a hit: a is now the most recently used
    assert model.inputs == 2
    cache([c])
    assert a in cache and c in cache and b not in cache
    cache([a])
    assert model.inputs == 3
    cache([b])
    assert model.inputs == 4 and c not in cache


def test_inputs_that_differ_only_in_the_question_get_their_own_predictions() -> None:
    cause = ChoiceExample("8", "en", "the man got wet", "cause", ("it rained", "it was sunny"), 0)
    effect = ChoiceExample("8", "en", "the man got wet", "effect", ("it rained", "it was sunny"), 0)
    assert HashModel.row(cause) != HashModel.row(effect)
    model = HashModel()
    cache = PredictionCache(model)
    assert cache([cause]).tolist() == [HashModel.row(cause)]
    assert cache([effect]).tolist() == [HashModel.row(effect)]
    assert model.inputs == 2
    search = attacker(HashModel())
    for example in (cause, effect, cause):
        result = search.attack(example, "en", AttackBudget(max_queries=5), random.Random(0))
        assert result.clean_probs.tolist() == HashModel.row(example)


def test_an_attack_whose_rounds_outgrow_the_cache_matches_one_with_a_big_cache() -> None:
    keywords = ["good", "bad", "fine", "poor"]
    pairs = [
        PairExample(str(i), "en", f"one two three four {k} six seven eight nine ten eleven", "x", 1)
        for i, k in enumerate(keywords)
    ]

    def any_keyword(examples: list[Example]) -> np.ndarray:
        hits = [any(k in e.text_a.split() for k in keywords) for e in examples]
        return np.array([[0.1, 0.9] if hit else [0.8, 0.2] for hit in hits])

    budget = AttackBudget(max_unit_fraction=0.2, beam_width=2)
    jobs = [(e, "en", random.Random(5)) for e in pairs]
    small = attacker(any_keyword, cache_size=30)
    assert sum(len(e.text_a.split()) + 1 for e in pairs) > 30  # one ranking round
    results = small.attack_many(jobs, budget)
    expected = attacker(any_keyword).attack_many(
        [(e, "en", random.Random(5)) for e in pairs], budget
    )
    assert all(r.flipped for r in results)
    for got, want in zip(results, expected, strict=True):
        assert got.adversarial == want.adversarial and got.queries == want.queries
        assert got.edits == want.edits and got.families == want.families
        assert got.adversarial_probs.tolist() == want.adversarial_probs.tolist()
    assert len(small.predict_fn) <= 30


class EntryModel:
    """Class 1 while `entry` occurs anywhere in the first field (unspaced text included)."""

    def __init__(self, entry: str) -> None:
        self.entry = entry

    def __call__(self, examples: list[Example]) -> np.ndarray:
        hits = [self.entry in next(iter(example_fields(e).values())) for e in examples]
        return np.array([[0.1, 0.9] if hit else [0.8, 0.2] for hit in hits])


def _entries(language: str) -> list[str]:
    lexicon = load_lexicon(LEXICONS, language)
    return sorted({w for ws in lexicon.from_english.values() for w in ws})


def _family_switches_whole(family: Perturbation, entry: str, language: str) -> bool:
    units = family.units(entry, language)
    proposal = family.propose(entry, language, units, 0, random.Random(0)) if units else None
    return proposal is not None and (proposal.edit.start, proposal.edit.end) == (0, len(entry))


def _attack_switches_whole(families: dict, entry: str, language: str) -> bool:
    search = Attacker(None, None, "x", families, predict_fn=EntryModel(entry))
    example = PairExample("e", language, entry, "x", 1)
    budget = AttackBudget(max_unit_fraction=1.0, beam_width=3)
    result = search.attack(example, language, budget, random.Random(0))
    spans = [(e.start, e.end) for e in result.edits.get("text_a", ())]
    return result.flipped and spans == [(0, len(entry))]


@pytest.mark.parametrize("language", lexicon_languages(LEXICONS))
def test_the_codeswitching_attack_reaches_every_entry_the_family_switches(language: str) -> None:
    # ICU splits Chinese entries it does not know into characters and Vietnamese ones at their
    # spaces: asked one word at a time, the attack reached 41 and 53 of 133 whole entries
    families = build_families(["codeswitch"], Resources(lexicon_dir=LEXICONS))
    entries = _entries(language)
    by_family = {e for e in entries if _family_switches_whole(families["codeswitch"], e, language)}
    by_attack = {e for e in entries if _attack_switches_whole(families, e, language)}
    assert by_attack == by_family == set(entries)


def test_a_chinese_entry_split_by_the_segmenter_is_switched_whole() -> None:
    # 花短 is "book" and 短 alone is "lemon": ICU splits 花短 into 花 and 短, and the attack used
    # to switch 短 alone into 花lemon
    text = "我有花短。"
    assert [w.text for w in words(text, "zh")] == ["我有", "花", "短"]
    search = attacker(EntryModel("花短"), ("codeswitch",))
    budget = AttackBudget(max_unit_fraction=0.5, beam_width=3)
    result = search.attack(PairExample("z", "zh", text, "x", 1), "zh", budget, random.Random(0))
    assert result.flipped
    (edit,) = result.edits["text_a"]
    assert text[edit.start : edit.end] == "花短"
    others = ("vi", "ru", "ar", "hi")
    book = {"book", "books"} | {load_lexicon(LEXICONS, g).from_english["book"][0] for g in others}
    assert edit.replacement in book
    assert "花" not in result.adversarial.text_a
    assert result.perturbed_units == 1 and result.total_units == 3  # 我有, 花短; x


def test_no_candidate_switches_part_of_a_split_entry() -> None:
    search = attacker(EntryModel(""), ("codeswitch",))
    job = search._job(PairExample("z", "zh", "我有花短。", "x", 1), "zh")
    assert [u.span.text for u in job.units] == ["我有", "花短", "x"]
    (phrase,) = job.units[1].phrases
    candidates = search._candidates(job, 1, AttackBudget(candidates_per_unit=50), salt=0)
    lemon = set(load_lexicon(LEXICONS, "zh").to_english["短"])
    assert candidates and not any(text.startswith("花") for _, text in candidates)
    assert not lemon & {text for _, text in candidates}
    assert phrase.text == "花短"


def test_a_multi_word_entry_is_one_unit_of_the_edit_budget() -> None:
    entry = load_lexicon(LEXICONS, "vi").from_english["car"][0]
    assert len(words(entry, "vi")) == 2  # "dei dáng": two syllables, one entry
    text = f"tôi có {entry} mới"
    search = attacker(EntryModel(entry), ("codeswitch",))
    budget = AttackBudget(max_unit_fraction=0.25, beam_width=3)
    result = search.attack(PairExample("v", "vi", text, "x", 1), "vi", budget, random.Random(0))
    assert result.total_units == 5 and budget.max_changes(result.total_units) == 1
    assert result.flipped and result.perturbed_units == 1
    (edit,) = result.edits["text_a"]
    assert text[edit.start : edit.end] == entry


def test_phrases_merge_with_the_words_they_overlap() -> None:
    text = "ab cd ef"
    spans = [Span(0, 2, "ab"), Span(3, 5, "cd"), Span(6, 8, "ef")]
    units = merge_units("t", text, spans, [Span(1, 4, "b c"), Span(4, 5, "d")])
    assert [u.span.text for u in units] == ["ab cd", "ef"]
    assert [p.text for p in units[0].phrases] == ["b c", "d"] and units[1].phrases == ()
