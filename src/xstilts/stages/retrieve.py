"""The `retrieve` stage: one condition's encoder (the base model's for `none`) scored on the
retrieval sets (`xstilts.retrieval.sets`, written by the `retrieval_sets` stage) with no target
training; the logic is `xstilts.retrieval.evaluation`. Writes DVC metrics (JSON) and the
per-query rows for the report's paired statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.attack import AttackBudget
from xstilts.config import Params
from xstilts.io import write_json, write_jsonl
from xstilts.modeling.device import model_device
from xstilts.modeling.meta import encoder_source
from xstilts.modeling.model import load_encoder, load_tokenizer
from xstilts.perturb import Resources, build_families
from xstilts.retrieval.evaluation import QueryRobustness, bucc_scores, tatoeba_scores
from xstilts.retrieval.sets import read_bucc, read_tatoeba, retrieval_languages


def query_robustness(params: Params, lexicons: Path, tokenizer: Any) -> QueryRobustness:
    """The profile's perturbation families, strengths and attacks, on the retrieval queries."""
    robustness = params.robustness
    resources = Resources(
        lexicon_dir=lexicons,
        tokenizer=tokenizer,
        codeswitch_languages=robustness.codeswitch_languages,
    )
    attacks = {
        name: (
            build_families(config.families, resources),
            AttackBudget(**config.model_dump(exclude={"families"})),
        )
        for name, config in robustness.attacks.items()
    }
    return QueryRobustness(
        families=build_families(robustness.families, resources),
        strengths=robustness.strengths,
        max_examples=robustness.max_examples,
        attacks=attacks,
        attack_examples=robustness.attack_examples,
        candidates=params.retrieval.perturb_candidates,
    )


def run_retrieve(
    params: Params,
    condition: str,
    seed: int,
    sets_dir: Path,
    base: Path,
    intermediate: Path,
    lexicons: Path,
    metrics_path: Path,
    rows_path: Path,
) -> dict[str, Any]:
    """Every task of `retrieval.tasks` with the condition's encoder."""
    retrieval = params.retrieval
    encoder = load_encoder(encoder_source(intermediate, base)).to(model_device()).eval()
    tokenizer = load_tokenizer(base)
    options = {"max_length": retrieval.max_length, "batch_size": retrieval.batch_size}
    metrics: dict[str, Any] = {"condition": condition, "seed": seed}
    rows: list[dict[str, Any]] = []
    if "tatoeba" in retrieval.tasks:
        sets = {
            lang: read_tatoeba(sets_dir, lang) for lang in retrieval_languages(params, "tatoeba")
        }
        robustness = query_robustness(params, lexicons, tokenizer)
        metrics["tatoeba"], rows = tatoeba_scores(
            encoder, tokenizer, sets, robustness, seed, **options
        )
    if "bucc" in retrieval.tasks:
        splits = {lang: read_bucc(sets_dir, lang) for lang in retrieval_languages(params, "bucc")}
        metrics["bucc"] = bucc_scores(encoder, tokenizer, splits, **options)
    write_jsonl(rows_path, rows)
    write_json(metrics_path, metrics)
    return metrics
