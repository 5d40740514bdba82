"""Attacking retrieval: a query's words changed, within a budget, until it no longer finds its
translation first.

The search is the classification attack's (`xstilts.attack.Attacker`: words ranked by how much
deleting each hurts, candidates from the perturbation families, greedy or beam search, the same
`AttackBudget`, the word budget a fraction of the English sentence's words as on every parallel
test set). What it scores is a query's distribution over the candidate pool: the softmax of its
cosine similarities to every English candidate at `temperature`. The attacked "class" is the
candidate the clean query retrieves, so for a query that finds its translation the attack
lowers the gold candidate's share and succeeds once another candidate ranks first: the
objective is the gold candidate's rank, which the result reports after the attack. Only the
queries that retrieve their gold candidate when clean are attacked (an attack on a query that
already fails says nothing); accuracy under attack counts every query row, and `max_rows`
takes the first rows of a language as queries while every English sentence stays a candidate.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from xstilts.attack import AttackBudget, Attacker
from xstilts.examples import TextExample
from xstilts.perturb import Perturbation
from xstilts.retrieval.embeddings import Pool
from xstilts.retrieval.metrics import gold_ranks
from xstilts.retrieval.parallel import PIVOT, Vectors, language_sides, sentence_vectorizer
from xstilts.retrieval.search import normalized
from xstilts.seeding import derive_seed

TEMPERATURE = 0.05


@dataclass(frozen=True)
class RetrievalAttack:
    """One language's attack on its xx -> en queries."""

    pairs: int  # query rows (usable rows, the first `max_rows` of them)
    rows: tuple[int, ...]  # the attacked queries' positions: those that found their translation
    gold_ranks: tuple[int, ...]  # the translation's rank (1 = first) after each attack
    queries: tuple[int, ...]  # model evaluations each attack used
    perturbed_ratios: tuple[float, ...]  # share of its words each attack changed
    adversarial: tuple[str, ...]  # each attacked query as the attack left it

    @property
    def attacked(self) -> int:
        return len(self.rows)

    @property
    def succeeded(self) -> int:
        """Attacked queries whose translation no longer comes first."""
        return sum(rank > 1 for rank in self.gold_ranks)

    @property
    def clean_accuracy(self) -> float:
        return self.attacked / self.pairs

    @property
    def attacked_accuracy(self) -> float:
        """Share of rows whose query still finds its translation first."""
        return (self.attacked - self.succeeded) / self.pairs


class PoolScorer:
    """Probabilities over the candidates for query examples: softmax(cos / temperature)."""

    def __init__(self, vectors: Vectors, candidates: torch.Tensor, temperature: float) -> None:
        self.vectors, self.temperature = vectors, temperature
        self.candidates = normalized(candidates)

    def query_vectors(self, texts: Sequence[str]) -> torch.Tensor:
        return normalized(self.vectors(list(texts)))

    def similarities(self, texts: Sequence[str]) -> torch.Tensor:
        return self.query_vectors(texts) @ self.candidates.T

    def __call__(self, examples: list[TextExample]) -> np.ndarray:
        sims = self.similarities([e.text for e in examples])
        return torch.softmax(sims / self.temperature, dim=-1).cpu().numpy()


def attack_parallel(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    parallel: Mapping[str, Sequence[str]],
    families: dict[str, Perturbation],
    budget: AttackBudget,
    seed: int,
    *,
    layer: int,
    pool: Pool = "mean",
    max_length: int = 512,
    batch_size: int = 64,
    temperature: float = TEMPERATURE,
    max_rows: int | None = None,
) -> dict[str, RetrievalAttack]:
    """Every non-English language's queries attacked against its English candidates, with the
    encoder's pooled vectors (`xstilts.retrieval.embeddings`)."""
    vectors = sentence_vectorizer(encoder, tokenizer, layer, pool, max_length, batch_size)
    return attack_with(vectors, parallel, families, budget, seed, temperature, max_rows)


def attack_with(
    vectors: Vectors,
    parallel: Mapping[str, Sequence[str]],
    families: dict[str, Perturbation],
    budget: AttackBudget,
    seed: int,
    temperature: float = TEMPERATURE,
    max_rows: int | None = None,
) -> dict[str, RetrievalAttack]:
    """`attack_parallel` over any sentence vectorizer: in each language the queries among the
    first `max_rows` whose nearest candidate is their translation are attacked."""
    english = list(parallel[PIVOT])
    out = {}
    for language, rows, sentences, candidates in language_sides(parallel, vectors):
        scorer = PoolScorer(vectors, candidates, temperature)
        sentences = sentences[:max_rows]
        first = scorer.similarities(sentences).argmax(dim=-1).tolist()
        correct = [i for i, top in enumerate(first) if top == i]
        references = [english[row] for row in rows]
        out[language] = attack_queries(
            scorer, language, rows, sentences, references, correct, families, budget, seed
        )
    return out


def attack_queries(
    scorer: PoolScorer,
    language: str,
    rows: Sequence[int | str],
    sentences: Sequence[str],
    references: Sequence[str],
    chosen: Sequence[int],
    families: dict[str, Perturbation],
    budget: AttackBudget,
    seed: int,
    name: str = "",
) -> RetrievalAttack:
    """The queries at positions `chosen` of `sentences` attacked against the scorer's candidates
    (position i's translation is candidate i, whose English text `references[i]` sets the word
    budget). `rows` are the queries' rows in the source set, which with the attack's `name`
    seed each attack's generator."""
    attacker = Attacker(None, None, "retrieval", families, predict_fn=scorer)
    parts = ("retrieval-attack", seed, *((name,) if name else ()), language)
    jobs = [
        (
            TextExample(str(rows[i]), language, sentences[i], i),
            language,
            random.Random(derive_seed(*parts, rows[i])),
        )
        for i in chosen
    ]
    reference = [
        attacker.count_units(TextExample(str(rows[i]), PIVOT, references[i], i), PIVOT)
        for i in chosen
    ]
    results = attacker.attack_many(jobs, budget, reference_units=reference)
    adversarial = tuple(r.adversarial.text for r in results)
    ranks: tuple[int, ...] = ()
    if adversarial:
        vectors_after = scorer.query_vectors(adversarial)
        gold = torch.tensor(list(chosen), device=vectors_after.device)
        ranks = tuple(gold_ranks(vectors_after, scorer.candidates, gold).tolist())
    return RetrievalAttack(
        pairs=len(sentences),
        rows=tuple(chosen),
        gold_ranks=ranks,
        queries=tuple(r.queries for r in results),
        perturbed_ratios=tuple(r.perturbed_ratio for r in results),
        adversarial=adversarial,
    )
