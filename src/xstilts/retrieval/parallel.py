"""Tatoeba-shaped evaluation: each language's sentences against their English translations.

The input is a parallel set, one list of sentences per language with row i of every list a
translation of row i of English's, as Tatoeba's test sets are laid out. Each language is scored
in both directions XTREME-R reports: its sentences retrieving English (xx -> en) and English
retrieving it (en -> xx), top-1 cosine accuracy among that language's pairs (`nearest_accuracy`).
A row whose sentence is empty on either side has no gold partner and is left out of that
language, counted in `skipped`; a language whose list is not as long as English's is refused,
since rows can then no longer be matched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from xstilts.errors import XstiltsError
from xstilts.retrieval.embeddings import Pool, sentence_vectors
from xstilts.retrieval.metrics import nearest_accuracy

PIVOT = "en"


@dataclass(frozen=True)
class ParallelScore:
    to_english: float  # share of the language's sentences whose nearest English one is right
    from_english: float  # share of English sentences whose nearest sentence is right
    pairs: int
    skipped: int  # rows with an empty sentence on either side


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
    if PIVOT not in parallel:
        raise XstiltsError(f"a parallel set needs its English side; it has {sorted(parallel)}")
    english = list(parallel[PIVOT])
    scores = {}
    for language, sentences in parallel.items():
        if language == PIVOT:
            continue
        if len(sentences) != len(english):
            raise XstiltsError(
                f"parallel set: {language} has {len(sentences)} sentences and English "
                f"{len(english)}; row i of each must be a translation of the other's"
            )
        rows = [
            i
            for i, (a, b) in enumerate(zip(sentences, english, strict=True))
            if a.strip() and b.strip()
        ]
        if not rows:
            raise XstiltsError(f"parallel set: {language} has no row with both sentences")
        options = {"layer": layer, "pool": pool, "max_length": max_length, "batch_size": batch_size}
        theirs = sentence_vectors(encoder, tokenizer, [sentences[i] for i in rows], **options)
        ours = sentence_vectors(encoder, tokenizer, [english[i] for i in rows], **options)
        scores[language] = ParallelScore(
            nearest_accuracy(theirs, ours),
            nearest_accuracy(ours, theirs),
            len(rows),
            len(english) - len(rows),
        )
    return scores
