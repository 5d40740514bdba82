"""One encoder's retrieval scores and per-query rows: what the `retrieve` stage writes.

Tatoeba, each language against its English translations (`parallel`), mean-pooled at XTREME's
Tatoeba layer (`middle_layer`):
- clean: xx -> en and en -> xx top-1 accuracy over every usable pair, and one row per xx -> en
  query with the place of its translation among the English sentences (`gold_ranks`: 1 =
  first, a tie going to the lower row in both directions);
- perturbed: the first `max_examples` queries of each language under every family and strength,
  each perturbed once with a generator seeded by (seed, language, row, family, strength), so
  every condition meets the same queries, retrieving the clean English side. A perturbation
  the encoder cannot see (the same input ids once truncated at `max_length`) is flagged not
  effective: the metrics give accuracy over all queries and over the effective ones, and the
  report compares the effective ones, as the evaluate stage does. A family that does not apply
  to a language (no lexicon, no layout) flags that language's rows not applicable. As an option
  (`candidates`) the English candidates are perturbed too, each once with its own generator;
  a row is then effective when its query or its translation changed, and holds the changed
  translation;
- attacked: the first `attack_examples` of those queries under each attack of the profile
  (`xstilts.retrieval.attack`). The queries whose clean row has rank 1 are attacked, and their
  rows hold the translation's place after the attack; a query that missed when clean is not
  attacked and stays a miss.

BUCC: per language, test F1 at the threshold best on dev (`bucc`), clean only.

The rows carry the evaluate stage's per-example fields (`id`, `lang`, `variant`, `correct`) with
`task` and `rank`, so the report's paired statistics read them as they read a target's.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from xstilts.attack import AttackBudget
from xstilts.perturb import Perturbation
from xstilts.retrieval.attack import TEMPERATURE, PoolScorer, attack_queries
from xstilts.retrieval.bucc import MiningSplit, bucc_score
from xstilts.retrieval.embeddings import middle_layer
from xstilts.retrieval.metrics import gold_ranks
from xstilts.retrieval.parallel import (
    PIVOT,
    Vectors,
    language_sides,
    perturbed_texts,
    sentence_vectorizer,
)
from xstilts.retrieval.search import normalized

TATOEBA = "tatoeba"


@dataclass(frozen=True)
class QueryRobustness:
    """What the Tatoeba queries meet besides their clean form."""

    families: Mapping[str, Perturbation]
    strengths: Sequence[float]
    max_examples: int | None  # per language: the first N queries are perturbed
    attacks: Mapping[str, tuple[Mapping[str, Perturbation], AttackBudget]]
    attack_examples: int | None  # per language: the first N of those are attacked
    candidates: bool = False  # perturb the English candidates too (each variant's own copy)


@dataclass(frozen=True)
class Side:
    """One language's usable Tatoeba pairs: row ids, query sentences, English vectors."""

    lang: str
    ids: list[str]
    texts: list[str]
    references: list[str]  # the English sentences, row for row
    english: torch.Tensor  # their vectors, unit rows
    skipped: int


def tatoeba_scores(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    sets: Mapping[str, Mapping[str, Sequence[str]]],
    robustness: QueryRobustness,
    seed: int,
    *,
    max_length: int,
    batch_size: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Metrics and per-query rows of every language of `sets` (lang -> {"en", lang} lists)."""
    layer = middle_layer(encoder.config.num_hidden_layers)
    vectors = sentence_vectorizer(encoder, tokenizer, layer, "mean", max_length, batch_size)
    metrics: dict[str, Any] = {"layer": layer, "pool": "mean"}
    metrics |= {key: {} for key in ("to_english", "from_english", "pairs", "skipped", "chance")}
    perturbations: dict[str, dict[str, Any]] = {}
    attacks: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for lang, parallel in sets.items():
        side = _side(lang, parallel, vectors)
        queries = normalized(vectors(side.texts))
        ranks = _ranks(queries, side.english)
        metrics["to_english"][lang] = _share(r == 1 for r in ranks)
        metrics["from_english"][lang] = _share(r == 1 for r in _ranks(side.english, queries))
        metrics["pairs"][lang] = len(side.ids)
        metrics["skipped"][lang] = side.skipped
        metrics["chance"][lang] = 1 / len(side.ids)
        rows += [_row(side, i, "clean", rank) for i, rank in enumerate(ranks)]
        for variant, found in _perturbed(side, vectors, tokenizer, robustness, seed, max_length):
            perturbations.setdefault(variant, {})[lang] = _variant_scores(found, ranks)
            rows += found
        for name, (families, budget) in robustness.attacks.items():
            found = _attacked(side, vectors, ranks, name, families, budget, robustness, seed)
            attacks.setdefault(name, {})[lang] = _attack_scores(found, ranks)
            rows += found
    both = [metrics[d][lang] for d in ("to_english", "from_english") for lang in sets]
    metrics["mean"] = statistics.fmean(both) if both else None
    metrics["perturbations"] = perturbations
    metrics["attacks"] = attacks
    return metrics, rows


def _side(lang: str, parallel: Mapping[str, Sequence[str]], vectors: Vectors) -> Side:
    if set(parallel) != {PIVOT, lang}:
        raise ValueError(f"a Tatoeba set of {lang} holds {sorted(parallel)}, not en and {lang}")
    ((_, kept, texts, english),) = language_sides(parallel, vectors)
    skipped = len(parallel[PIVOT]) - len(kept)
    references = [parallel[PIVOT][i] for i in kept]
    return Side(lang, [str(i) for i in kept], texts, references, normalized(english), skipped)


def _ranks(queries: torch.Tensor, candidates: torch.Tensor) -> list[int]:
    """Place of each query's partner (row i of `candidates`) among all of them (1 = first;
    ties to the lower row, as `gold_ranks` orders them)."""
    partners = torch.arange(len(queries), device=queries.device)
    return gold_ranks(queries, candidates, partners).tolist()


def _row(side: Side, index: int, variant: str, rank: int | None, **extra: Any) -> dict[str, Any]:
    return {
        "task": TATOEBA,
        "id": side.ids[index],
        "lang": side.lang,
        "variant": variant,
        "rank": rank,
        "correct": rank == 1,
        **extra,
    }


def _perturbed(
    side: Side,
    vectors: Vectors,
    tokenizer: PreTrainedTokenizerBase,
    robustness: QueryRobustness,
    seed: int,
    max_length: int,
) -> list[tuple[str, list[dict[str, Any]]]]:
    """(variant, rows) for every family and strength, over the first `max_examples` queries."""
    count = len(side.texts[: robustness.max_examples])
    out = []
    for name, family in robustness.families.items():
        for strength in robustness.strengths:
            variant = f"{name}@{strength:g}"
            if not family.supports(side.lang):
                rows = [_row(side, i, variant, None, not_applicable=True) for i in range(count)]
                out.append((variant, rows))
                continue
            texts = perturbed_texts(
                family, side.texts[:count], side.lang, strength, seed, side.lang, side.ids
            )
            candidates, english = side.english, side.references
            if robustness.candidates and family.supports(PIVOT):
                english = perturbed_texts(
                    family,
                    side.references,
                    PIVOT,
                    strength,
                    seed,
                    side.lang,
                    side.ids,
                    stream="retrieval-candidate",
                )
                candidates = normalized(vectors(english))
            ranks = _ranks(normalized(vectors(texts)), candidates)
            rows = []
            for i in range(count):
                seen = _sees(tokenizer, side.texts[i], texts[i], max_length) or _sees(
                    tokenizer, side.references[i], english[i], max_length
                )
                extra = {"candidate": english[i]} if english is not side.references else {}
                rows.append(
                    _row(side, i, variant, ranks[i], effective=seen, text=texts[i], **extra)
                )
            out.append((variant, rows))
    return out


def _sees(tokenizer: PreTrainedTokenizerBase, clean: str, changed: str, max_length: int) -> bool:
    """Whether the encoder's input ids differ: the tokenizer's, truncated as encoding truncates
    (a change past `max_length` tokens reaches no vector)."""
    if clean == changed:
        return False
    ids = tokenizer([clean, changed], truncation=True, max_length=max_length)["input_ids"]
    return ids[0] != ids[1]


def _variant_scores(rows: list[dict[str, Any]], clean_ranks: list[int]) -> dict[str, Any]:
    """Accuracy under the variant and clean on the same queries, over every query
    (`accuracy`, `clean_accuracy`) and over those whose change the encoder sees
    (`accuracy_effective`, `clean_accuracy_effective`: what the report compares), as the
    evaluate stage names them; None where there is nothing to average."""
    if any(r.get("not_applicable") for r in rows):
        return {"applicable": False, "examples": len(rows)}
    effective = [i for i, r in enumerate(rows) if r["effective"]]
    return {
        "applicable": True,
        "examples": len(rows),
        "effective": len(effective),
        "effective_rate": _share(r["effective"] for r in rows),
        "accuracy": _share(r["correct"] for r in rows),
        "clean_accuracy": _share(rank == 1 for rank in clean_ranks[: len(rows)]),
        "accuracy_effective": _share(rows[i]["correct"] for i in effective),
        "clean_accuracy_effective": _share(clean_ranks[i] == 1 for i in effective),
    }


def _attacked(
    side: Side,
    vectors: Vectors,
    clean_ranks: list[int],
    name: str,
    families: Mapping[str, Perturbation],
    budget: AttackBudget,
    robustness: QueryRobustness,
    seed: int,
) -> list[dict[str, Any]]:
    """One row per query of the attacked set: the queries whose translation comes first when
    clean (the clean rows' own ranks) are attacked, and their rows hold the translation's rank
    after the attack; the others are misses, as they were."""
    limits = [n for n in (robustness.max_examples, robustness.attack_examples) if n is not None]
    count = min([len(side.ids), *limits])
    variant = f"attack:{name}"
    if not any(family.supports(side.lang) for family in families.values()):
        return [_row(side, i, variant, None, not_applicable=True) for i in range(count)]
    chosen = [i for i in range(count) if clean_ranks[i] == 1]
    scorer = PoolScorer(vectors, side.english, TEMPERATURE)
    result = attack_queries(
        scorer,
        side.lang,
        side.ids,
        side.texts[:count],
        side.references,
        chosen,
        dict(families),
        budget,
        seed,
        name,
    )
    attacked = {row: k for k, row in enumerate(result.rows)}
    rows = []
    for i in range(count):
        k = attacked.get(i)
        if k is None:
            rows.append(_row(side, i, variant, None, attacked=False))
            continue
        rows.append(
            _row(
                side,
                i,
                variant,
                result.gold_ranks[k],
                attacked=True,
                queries=result.queries[k],
                perturbed_ratio=round(result.perturbed_ratios[k], 6),
                text=result.adversarial[k],
            )
        )
    return rows


def _attack_scores(rows: list[dict[str, Any]], clean_ranks: list[int]) -> dict[str, Any]:
    if any(r.get("not_applicable") for r in rows):
        return {"applicable": False, "examples": len(rows)}
    attacked = [r for r in rows if r["attacked"]]
    return {
        "applicable": True,
        "examples": len(rows),
        "attacked": len(attacked),
        "clean_accuracy": _share(rank == 1 for rank in clean_ranks[: len(rows)]),
        "accuracy": _share(r["correct"] for r in rows),
        "success_rate": _share(not r["correct"] for r in attacked),
        "mean_queries": _mean(r["queries"] for r in attacked),
        "mean_rank": _mean(r["rank"] for r in attacked),
    }


def bucc_scores(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    splits: Mapping[str, Mapping[str, MiningSplit]],
    *,
    max_length: int,
    batch_size: int,
) -> dict[str, Any]:
    """Test F1 (precision, recall) at the dev-chosen threshold, per language of `splits`
    (lang -> {"dev", "test"})."""
    scores = {}
    for lang, split in splits.items():
        result = bucc_score(
            encoder,
            tokenizer,
            split["dev"],
            split["test"],
            max_length=max_length,
            batch_size=batch_size,
        )
        scores[lang] = {
            "f1": result.test.f1,
            "precision": result.test.precision,
            "recall": result.test.recall,
            "threshold": result.test.threshold,
            "extracted": result.test.extracted,
            "gold": len(split["test"].gold),
            "dev_f1": result.dev.f1,
            "repeated_dropped": result.repeated_dropped,
        }
    mean_f1 = statistics.fmean(s["f1"] for s in scores.values()) if scores else None
    return {
        "f1": {lang: s["f1"] for lang, s in scores.items()},
        "mean": mean_f1,
        "by_language": scores,
    }


def _share(flags: Any) -> float | None:
    values = [bool(x) for x in flags]
    return sum(values) / len(values) if values else None


def _mean(values: Any) -> float | None:
    values = list(values)
    return statistics.fmean(values) if values else None
