"""The retrieval attack: queries that find their translation are attacked word by word until
another candidate ranks first, within the edit and query budgets, and the gold candidate's
rank after the attack is what the adversarial query really gives."""

from __future__ import annotations

import json

import pytest
import torch

from xstilts.attack import AttackBudget
from xstilts.modeling.model import load_encoder, load_tokenizer
from xstilts.perturb import Resources, build_family
from xstilts.retrieval.attack import PoolScorer, attack_parallel, attack_with
from xstilts.retrieval.parallel import sentence_vectorizer

from .conftest import REPO

LANGUAGES = ("en", "vi", "ru", "ar", "hi", "zh")
TYPOS = ("keyboard", "char_swap", "char_delete", "char_insert", "homoglyph")


def _premises(language: str, rows: int) -> list[str]:
    path = REPO / "data" / "tasks" / "xnli" / language / "test.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()[:rows]
    return [json.loads(line)["premise"] for line in lines]


def _families(names: tuple[str, ...]) -> dict:
    resources = Resources(lexicon_dir=REPO / "data" / "lexicon")
    return {name: build_family(name, resources) for name in names}


@pytest.fixture(scope="module")
def sample_encoder():
    return load_encoder(REPO / "pretrained").eval(), load_tokenizer(REPO / "pretrained")


def test_the_sample_encoder_loses_translations_to_typos_within_its_budgets(
    sample_encoder,
) -> None:
    """The tracked sample encoder is fragile to typos: changing a fifth of the words costs more
    than half of the attacked queries their translation. Each reported gold rank is the one
    the adversarial query gives when scored again, and no attack exceeds its query budget."""
    encoder, tokenizer = sample_encoder
    parallel = {lang: _premises(lang, 60) for lang in LANGUAGES}
    budget = AttackBudget(max_unit_fraction=0.2, max_queries=60, candidates_per_unit=2)
    results = attack_parallel(
        encoder, tokenizer, parallel, _families(TYPOS), budget, seed=0, layer=4, max_rows=40
    )
    assert set(results) == set(LANGUAGES) - {"en"}
    vectors = sentence_vectorizer(encoder, tokenizer, 4, "mean", 512, 64)
    scorer = PoolScorer(vectors, vectors(parallel["en"]), 0.05)
    succeeded = 0
    for result in results.values():
        assert result.pairs == 40
        assert result.attacked == len(result.rows) == round(result.clean_accuracy * 40) > 0
        assert result.attacked_accuracy == (result.attacked - result.succeeded) / 40
        assert max(result.queries) <= budget.max_queries
        again = scorer.similarities(list(result.adversarial))
        for row, sims, rank in zip(result.rows, again, result.gold_ranks, strict=True):
            assert rank == 1 + int((sims > sims[row]).sum())
        succeeded += result.succeeded
        assert result.attacked_accuracy <= result.clean_accuracy
    assert succeeded > sum(r.attacked for r in results.values()) / 2


def test_the_gold_rank_is_the_rank_the_adversarial_query_gives() -> None:
    """On bag-of-letters vectors (a model that reads letters only), every attacked query's
    reported rank equals the gold candidate's rank among all candidates when the adversarial
    text is scored anew, and the same seed gives the same attacks."""
    alphabet = "abcdefghijklmnopqrstuvwxyz"

    def letters(texts):
        rows = [[text.lower().count(c) + 0.01 for c in alphabet] for text in texts]
        return torch.tensor(rows)

    english = ["the cat sees a red bird", "a dog eats the bread", "my friend reads a book"]
    english += ["the boat sails at dawn", "we plant green trees", "she sings an old song"]
    parallel = {"en": english, "xx": list(english)}
    budget = AttackBudget(max_unit_fraction=0.5, max_queries=100, candidates_per_unit=4)
    families = _families(("char_substitute", "char_delete"))
    first = attack_with(letters, parallel, families, budget, seed=3)
    assert first == attack_with(letters, parallel, families, budget, seed=3)
    result = first["xx"]
    assert result.clean_accuracy == 1.0 and result.attacked == 6
    assert result.rows == tuple(range(6))
    scorer = PoolScorer(letters, letters(english), 0.05)
    for row, (text, rank) in enumerate(zip(result.adversarial, result.gold_ranks, strict=True)):
        sims = scorer.similarities([text])[0]
        assert rank == 1 + int((sims > sims[row]).sum())
    assert result.succeeded == sum(rank > 1 for rank in result.gold_ranks)


def test_a_query_that_misses_its_translation_is_not_attacked() -> None:
    """Rows whose clean query already retrieves another candidate count as wrong, clean and
    under attack, and are not searched."""

    def first_word(texts):
        return torch.tensor([[float(len(t.split()[0])), 1.0] for t in texts])

    parallel = {"en": ["aaa x", "b y", "cc z"], "xx": ["aaa x", "aaa y", "cc z"]}
    result = attack_with(first_word, parallel, _families(("char_delete",)), AttackBudget(), 0)
    assert result["xx"].pairs == 3 and result["xx"].clean_accuracy == pytest.approx(2 / 3)
    assert result["xx"].rows == (0, 2) and len(result["xx"].gold_ranks) == 2
