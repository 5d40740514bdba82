"""Tatoeba-shaped evaluation: each language's sentences against their English translations.

The input is a parallel set, one list of sentences per language with row i of every list a
translation of row i of English's, as Tatoeba's test sets are laid out. Each language is scored
in both directions XTREME-R reports: its sentences retrieving English (xx -> en) and English
retrieving it (en -> xx), top-1 cosine accuracy among that language's pairs (`nearest_accuracy`).
A row whose sentence is empty on either side has no gold partner and is left out of that
language, counted in `skipped`; a language whose list is not as long as English's is refused,
since rows can then no longer be matched.

Under perturbation (`perturbed_accuracy`) each non-English sentence is perturbed once, with a
generator seeded by (seed, language, row, family, strength), and retrieves the clean English
side: does a perturbed query still find its translation? A family that does not apply to a
language (no lexicon, no layout) is reported as such, not as a query that nothing hurts.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from xstilts.errors import XstiltsError
from xstilts.perturb import Perturbation
from xstilts.retrieval.embeddings import Pool, sentence_vectors
from xstilts.retrieval.metrics import nearest_accuracy
from xstilts.retrieval.sources import PIVOT
from xstilts.seeding import derive_seed


@dataclass(frozen=True)
class ParallelScore:
    to_english: float  # share of the language's sentences whose nearest English one is right
    from_english: float  # share of English sentences whose nearest sentence is right
    pairs: int
    skipped: int  # rows with an empty sentence on either side


@dataclass(frozen=True)
class PerturbedScore:
    clean: float  # xx -> en accuracy of the clean sentences
    perturbed: float | None  # the same with the xx side perturbed; None: not applicable
    pairs: int

    @property
    def drop(self) -> float | None:
        return None if self.perturbed is None else self.clean - self.perturbed


Vectors = Callable[[Sequence[str]], torch.Tensor]


def _rows(parallel: Mapping[str, Sequence[str]]) -> dict[str, list[int]]:
    """Each non-English language's usable rows, after the checks the module describes."""
    if PIVOT not in parallel:
        raise XstiltsError(f"a parallel set needs its English side; it has {sorted(parallel)}")
    english = parallel[PIVOT]
    usable = {}
    for language, sentences in parallel.items():
        if language == PIVOT:
            continue
        if len(sentences) != len(english):
            raise XstiltsError(
                f"parallel set: {language} has {len(sentences)} sentences and English "
                f"{len(english)}; row i of each must be a translation of the other's"
            )
        pairs = zip(sentences, english, strict=True)
        usable[language] = [i for i, (a, b) in enumerate(pairs) if a.strip() and b.strip()]
        if not usable[language]:
            raise XstiltsError(f"parallel set: {language} has no row with both sentences")
    return usable


def language_sides(
    parallel: Mapping[str, Sequence[str]], vectors: Vectors
) -> Iterator[tuple[str, list[int], list[str], torch.Tensor]]:
    """For each non-English language: its usable rows, its sentences on them, and the English
    vectors of those rows. English is encoded once for every language (a sentence's vector
    does not depend on the batch it is encoded in)."""
    usable = _rows(parallel)
    english = vectors(parallel[PIVOT])
    for language, rows in usable.items():
        yield language, rows, [parallel[language][i] for i in rows], english[rows]


def sentence_vectorizer(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    layer: int,
    pool: Pool,
    max_length: int,
    batch_size: int,
) -> Vectors:
    return functools.partial(
        sentence_vectors,
        encoder,
        tokenizer,
        layer=layer,
        pool=pool,
        max_length=max_length,
        batch_size=batch_size,
    )


def parallel_accuracy(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    parallel: Mapping[str, Sequence[str]],
    *,
    layer: int,
    pool: Pool = "mean",
    max_length: int = 512,
    batch_size: int = 64,
) -> dict[str, ParallelScore]:
    """Scores of every language of `parallel` other than English, which it must hold."""
    vectors = sentence_vectorizer(encoder, tokenizer, layer, pool, max_length, batch_size)
    scores = {}
    for language, rows, sentences, ours in language_sides(parallel, vectors):
        theirs = vectors(sentences)
        scores[language] = ParallelScore(
            nearest_accuracy(theirs, ours),
            nearest_accuracy(ours, theirs),
            len(rows),
            len(parallel[PIVOT]) - len(rows),
        )
    return scores


def perturbed_accuracy(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    parallel: Mapping[str, Sequence[str]],
    family: Perturbation,
    strength: float,
    seed: int,
    *,
    layer: int,
    pool: Pool = "mean",
    max_length: int = 512,
    batch_size: int = 64,
) -> dict[str, PerturbedScore]:
    """xx -> en accuracy of each language's sentences, clean and perturbed by `family`."""
    vectors = sentence_vectorizer(encoder, tokenizer, layer, pool, max_length, batch_size)
    scores = {}
    for language, rows, clean, ours in language_sides(parallel, vectors):
        accuracy = nearest_accuracy(vectors(clean), ours)
        if not family.supports(language):
            scores[language] = PerturbedScore(accuracy, None, len(rows))
            continue
        changed = perturbed_texts(family, clean, language, strength, seed, language, rows)
        scores[language] = PerturbedScore(
            accuracy, nearest_accuracy(vectors(changed), ours), len(rows)
        )
    return scores


def perturbed_texts(
    family: Perturbation,
    texts: Sequence[str],
    language: str,
    strength: float,
    seed: int,
    set_language: str,
    rows: Sequence[int | str],
    stream: str = "retrieval",
) -> list[str]:
    """Each text perturbed once as `language`, its generator seeded by (stream, seed, the
    set's language, its row, family, strength): whatever encoder reads them, the same texts."""
    return [
        family.apply(
            text,
            language,
            strength,
            random.Random(derive_seed(stream, seed, set_language, row, family.name, strength)),
        ).text
        for row, text in zip(rows, texts, strict=False)
    ]
