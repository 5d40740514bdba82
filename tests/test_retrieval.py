"""Retrieval from encoder vectors: blocked search equals a full score matrix, margin mining
finds translation pairs past a hub, BUCC's threshold and F1 as its script computes them, and
pooled sentence vectors that padding cannot reach."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch

from tests.tiny_models import tiny_config, tiny_tokenizer
from xstilts.errors import XstiltsError
from xstilts.modeling.model import load_encoder, load_tokenizer
from xstilts.perturb import Resources, build_family
from xstilts.retrieval.bucc import MiningSplit, bucc_score
from xstilts.retrieval.embeddings import middle_layer, sentence_vectors
from xstilts.retrieval.metrics import (
    average_precision_at_k,
    best_threshold,
    gold_ranks,
    mean_average_precision_at_k,
    mining_score,
    nearest_accuracy,
    scored_ids,
)
from xstilts.retrieval.mining import mine
from xstilts.retrieval.parallel import parallel_accuracy, perturbed_accuracy
from xstilts.retrieval.search import normalized, top_k
from xstilts.retrieval.sources import read_bucc_split

from .conftest import REPO


def _random(rows: int, dim: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.randn(rows, dim, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("query_block", "key_block"), [(1, 1), (7, 13), (64, 1000), (3, 50)])
def test_blocked_search_equals_the_full_score_matrix(query_block: int, key_block: int) -> None:
    queries, keys = normalized(_random(37, seed=1)), normalized(_random(101, seed=2))
    found = top_k(queries, keys, 5, query_block=query_block, key_block=key_block)
    full = queries @ keys.T
    expected_scores, expected_indices = full.topk(5, dim=1)
    assert torch.equal(found.indices, expected_indices)
    assert torch.allclose(found.scores, expected_scores, atol=1e-6)


def test_more_neighbours_than_keys_and_tied_keys() -> None:
    keys = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # rows 0 and 2 tie for [1, 0]
    found = top_k(torch.tensor([[1.0, 0.0]]), keys, 10, key_block=1)
    assert found.indices.tolist() == [[0, 2, 1]]  # k capped at 3; the tie goes to row 0 first
    with pytest.raises(ValueError, match="dimension"):
        top_k(torch.ones(2, 3), torch.ones(2, 4), 1)


def _parallel(rows: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two sides of a parallel set: the same sentence vectors, each side with its own noise."""
    meaning = _random(rows, 32, seed)
    return (
        meaning + noise * _random(rows, 32, seed + 1),
        meaning + noise * _random(rows, 32, seed + 2),
    )


def test_nearest_accuracy_of_translations_and_of_shuffled_rows() -> None:
    source, target = _parallel(50, 0.3, 0)
    assert nearest_accuracy(source, target) == 1.0
    assert nearest_accuracy(target, source) == 1.0
    assert nearest_accuracy(source, target.flip(0)) == 0.0
    with pytest.raises(ValueError, match="one row per pair"):
        nearest_accuracy(source, target[:-1])


def test_margin_mining_pairs_translations_and_discounts_a_hub() -> None:
    """Both sides share one strong direction, and a target lies along it: a hub, close to
    every source. Nearest by cosine, many sources take the hub; the margin discounts it by its
    closeness to everything, and most sources get their translation."""
    generator = torch.Generator().manual_seed(3)
    meaning = torch.randn(40, 32, generator=generator)
    shared = torch.zeros(32)
    shared[0] = 1.0
    source = meaning + 10 * shared + torch.randn(40, 32, generator=generator)
    target = meaning + 10 * shared + torch.randn(40, 32, generator=generator)
    targets = torch.cat([target, shared[None]])
    by_cosine = top_k(normalized(source), normalized(targets), 1).indices[:, 0]
    assert (by_cosine == 40).sum() >= 5
    cosine_correct = int((by_cosine == torch.arange(40)).sum())
    pairs = mine(source, targets)
    margin_correct = sum(p.source == p.target for p in pairs)
    assert margin_correct >= cosine_correct + 5
    assert all(a.score >= b.score for a, b in itertools.pairwise(pairs))
    assert len({p.target for p in pairs}) == len({p.source for p in pairs}) == len(pairs)


def test_best_threshold_and_f1_on_a_hand_counted_list() -> None:
    scored = [(("s1", "t1"), 1.3), (("s2", "t9"), 1.2), (("s3", "t3"), 1.1), (("s4", "t8"), 0.9)]
    gold = {("s1", "t1"), ("s3", "t3"), ("s5", "t5")}
    # prefixes: 1 kept, 1 correct: F1 0.5; 3 kept, 2 correct: P 2/3, R 2/3, F1 2/3; 4: 4/7.
    threshold = best_threshold(scored, gold)
    assert threshold == pytest.approx((1.1 + 0.9) / 2)
    result = mining_score(scored, gold, threshold)
    assert (result.extracted, result.precision, result.recall) == (3, 2 / 3, 2 / 3)
    assert result.f1 == pytest.approx(2 / 3)
    assert best_threshold(scored[:1], gold) == 1.3  # the last pair: no next score
    assert math.isinf(best_threshold([(("s2", "t9"), 1.0)], gold))
    assert mining_score(scored, gold, math.inf).f1 == 0.0


def test_mined_rows_become_id_pairs() -> None:
    source, target = _parallel(10, 0.2, 5)
    pairs = mine(source, target)
    scored = scored_ids(pairs, [f"de-{i}" for i in range(10)], [f"en-{i}" for i in range(10)])
    gold = {(f"de-{i}", f"en-{i}") for i in range(10)}
    assert mining_score(scored, gold, best_threshold(scored, gold)).f1 == 1.0


@pytest.fixture(scope="module")
def encoder_and_tokenizer():
    from transformers import XLMRobertaModel

    lines = ["the cat sat on the mat", "a dog ran", "кошка сидит", "猫坐在垫子上"] * 20
    tokenizer = tiny_tokenizer(lines, vocab_size=120)
    torch.manual_seed(0)
    encoder = XLMRobertaModel(tiny_config(tokenizer, num_hidden_layers=2), add_pooling_layer=False)
    return encoder.eval(), tokenizer


def test_pooled_vectors_are_the_layers_masked_mean_and_ignore_padding(
    encoder_and_tokenizer,
) -> None:
    encoder, tokenizer = encoder_and_tokenizer
    short, long = "a dog ran", "the cat sat on the mat and the dog ran"
    together = sentence_vectors(encoder, tokenizer, [short, long], layer=1)
    alone = sentence_vectors(encoder, tokenizer, [short], layer=1)
    assert torch.allclose(together[0], alone[0], atol=1e-5)
    ids = tokenizer(short, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        hidden = encoder(input_ids=ids, output_hidden_states=True).hidden_states
    assert torch.allclose(alone[0], hidden[1][0].mean(dim=0), atol=1e-5)
    first = sentence_vectors(encoder, tokenizer, [short, long], layer=2, pool="cls")
    assert torch.allclose(first[0], hidden[2][0, 0], atol=1e-5)
    assert sentence_vectors(encoder, tokenizer, [], layer=0).shape == (0, 32)
    with pytest.raises(ValueError, match="hidden states 0-2"):
        sentence_vectors(encoder, tokenizer, [short], layer=3)


def test_the_pooled_layer_follows_xtreme_for_each_depth() -> None:
    assert [middle_layer(n) for n in (24, 12, 4, 1)] == [14, 8, 4, 1]


def _premises(language: str, rows: int) -> list[str]:
    lines = (REPO / "data/tasks/xnli" / language / "test.jsonl").read_text(encoding="utf-8")
    return [json.loads(line)["premise"] for line in lines.splitlines()[:rows]]


def test_the_tracked_encoder_finds_translations_of_held_out_sentences() -> None:
    """The sample world's encoder, before any intermediate training, on the XNLI-shaped test
    premises (parallel across languages, never trained on with labels): every language retrieves
    its translations far above chance (1 in 200) in both directions; with one language's rows
    shuffled against English, retrieval falls to about chance."""
    encoder, tokenizer = load_encoder(REPO / "pretrained"), load_tokenizer(REPO / "pretrained")
    layer = middle_layer(encoder.config.num_hidden_layers)
    parallel = {lang: _premises(lang, 200) for lang in ("en", "vi", "ru", "ar", "hi", "zh")}
    scores = parallel_accuracy(encoder, tokenizer, parallel, layer=layer)
    assert set(scores) == {"vi", "ru", "ar", "hi", "zh"}
    for language, score in scores.items():
        assert (score.pairs, score.skipped) == (200, 0)
        assert min(score.to_english, score.from_english) >= 0.10, (language, score)
    shuffled = {"en": parallel["en"], "vi": parallel["vi"][1:] + parallel["vi"][:1]}
    assert parallel_accuracy(encoder, tokenizer, shuffled, layer=layer)["vi"].to_english <= 0.03


def test_a_parallel_set_with_missing_rows_or_sides_is_refused_or_counted(
    encoder_and_tokenizer,
) -> None:
    encoder, tokenizer = encoder_and_tokenizer
    with pytest.raises(XstiltsError, match="needs its English side"):
        parallel_accuracy(encoder, tokenizer, {"ru": ["кошка"]}, layer=1)
    with pytest.raises(XstiltsError, match="ru has 1 sentences and English 2"):
        parallel_accuracy(encoder, tokenizer, {"en": ["a", "b"], "ru": ["кошка"]}, layer=1)
    with pytest.raises(XstiltsError, match="no row with both"):
        parallel_accuracy(encoder, tokenizer, {"en": ["a dog"], "ru": [" "]}, layer=1)
    english, russian = ["the cat sat", "", "a dog ran"], ["кошка сидит", "кошка", " "]
    score = parallel_accuracy(encoder, tokenizer, {"en": english, "ru": russian}, layer=1)["ru"]
    assert (score.pairs, score.skipped) == (1, 2)
    assert score.to_english == score.from_english == 1.0  # one pair: nothing else to pick


def test_average_precision_at_k_by_hand() -> None:
    # relevant 3 and 7; ranked 3 (hit 1/1), 5, 7 (hit 2/3): (1 + 2/3) / 2
    assert average_precision_at_k({3, 7}, [3, 5, 7, 1], k=20) == pytest.approx(5 / 6)
    assert average_precision_at_k({3, 7}, [5, 3, 7], k=1) == 0.0
    assert average_precision_at_k({3, 7, 8}, [3, 9], k=2) == pytest.approx(1 / 2)
    with pytest.raises(ValueError, match="without a relevant"):
        average_precision_at_k(set(), [1], k=5)


def test_mean_average_precision_and_gold_ranks_equal_a_full_sort() -> None:
    queries, candidates = normalized(_random(30, seed=7)), normalized(_random(80, seed=8))
    full = (queries @ candidates.T).argsort(dim=1, descending=True)
    relevant = [{(3 * i) % 80, (5 * i + 1) % 80} for i in range(30)]
    expected = (
        sum(
            average_precision_at_k(r, order, 20)
            for r, order in zip(relevant, full.tolist(), strict=True)
        )
        / 30
    )
    assert mean_average_precision_at_k(queries, candidates, relevant) == pytest.approx(expected)
    gold = torch.tensor([(7 * i) % 80 for i in range(30)])
    positions = (full == gold[:, None]).float().argmax(dim=1) + 1
    assert torch.equal(gold_ranks(queries, candidates, gold), positions)
    assert gold_ranks(candidates[:5], candidates, torch.arange(5)).tolist() == [1] * 5


def test_perturbed_queries_lose_their_translations_and_unsupported_families_say_so() -> None:
    """Half the letters of every non-English premise substituted: the tracked encoder finds far
    fewer translations, the same each run; strength 0 changes nothing; code-switching without
    lexicons is not applicable, not a query it leaves unhurt."""
    encoder, tokenizer = load_encoder(REPO / "pretrained"), load_tokenizer(REPO / "pretrained")
    parallel = {lang: _premises(lang, 100) for lang in ("en", "vi", "ru", "ar", "hi", "zh")}
    typos = build_family("char_substitute", Resources(lexicon_dir=REPO / "data/lexicon"))
    scores = perturbed_accuracy(encoder, tokenizer, parallel, typos, 0.5, 0, layer=4)
    for language, score in scores.items():
        assert score.pairs == 100
        assert score.drop >= 0.25, (language, score)
    assert perturbed_accuracy(encoder, tokenizer, parallel, typos, 0.5, 0, layer=4) == scores
    untouched = perturbed_accuracy(encoder, tokenizer, parallel, typos, 0.0, 0, layer=4)
    assert all(s.drop == 0.0 for s in untouched.values())
    no_lexicon = build_family("codeswitch", Resources())
    unsupported = perturbed_accuracy(encoder, tokenizer, parallel, no_lexicon, 0.5, 0, layer=4)
    assert all(s.perturbed is None and s.drop is None for s in unsupported.values())


def test_mining_in_small_blocks_equals_mining_in_one(monkeypatch) -> None:
    """The margins of the candidates, computed a block of rows at a time (the search's own
    blocks are tested above)."""
    source, target = _parallel(30, 0.8, 11)
    whole = mine(source, target)
    monkeypatch.setattr("xstilts.retrieval.mining.QUERY_BLOCK", 7)  # margins of 7 rows a time
    blocked = mine(source, target)
    assert [(p.source, p.target) for p in blocked] == [(p.source, p.target) for p in whole]
    assert [p.score for p in blocked] == pytest.approx([p.score for p in whole], abs=1e-6)


def test_bucc_mining_with_a_dev_threshold_finds_pairs_among_distractors() -> None:
    """The tracked sample encoder mines the sample world's BUCC-shaped Russian-English test
    split (200 gold pairs among 800 untranslated sentences a side) at the threshold best on dev;
    mean pooling, as XTREME's 2020 code pooled, does far better here than the first token."""
    encoder, tokenizer = load_encoder(REPO / "pretrained"), load_tokenizer(REPO / "pretrained")
    dev, test = (read_bucc_split(REPO / "data" / "retrieval", "ru", s) for s in ("dev", "test"))
    result = bucc_score(encoder, tokenizer, dev, test)
    assert result.repeated_dropped == 0
    assert result.dev.threshold == result.test.threshold
    assert result.test.f1 >= 0.25, result
    first_token = bucc_score(encoder, tokenizer, dev, test, pool="cls")
    assert first_token.test.f1 <= result.test.f1 - 0.1, first_token
    position = {identifier: n for n, (identifier, _) in enumerate(test.target)}
    shifted = {(s, test.target[(position[t] + 1) % len(test.target)][0]) for s, t in test.gold}
    wrong = MiningSplit(test.source, test.target, shifted)
    assert bucc_score(encoder, tokenizer, dev, wrong).test.f1 <= 0.05


def test_bucc_refuses_repeated_ids_and_drops_repeated_or_empty_sentences(
    encoder_and_tokenizer,
) -> None:
    encoder, tokenizer = encoder_and_tokenizer
    good = MiningSplit([("s1", "кошка сидит")], [("t1", "the cat sat")], {("s1", "t1")})
    twice = MiningSplit([("s1", "кошка"), ("s1", "кошка сидит")], good.target, good.gold)
    with pytest.raises(XstiltsError, match="id 's1' occurs twice"):
        bucc_score(encoder, tokenizer, good, twice)
    with pytest.raises(XstiltsError, match="dev split has no gold pairs"):
        bucc_score(encoder, tokenizer, MiningSplit(good.source, good.target, set()), good)
    noisy = MiningSplit(
        [("s1", "кошка сидит"), ("s2", "кошка"), ("s3", "кошка"), ("s4", " ")],
        good.target,
        good.gold,
    )
    result = bucc_score(encoder, tokenizer, good, noisy)
    assert result.repeated_dropped == 3
    assert result.test.f1 == 1.0
