"""The `evaluate` stage: zero-shot accuracy of one target checkpoint in every language.

Writes DVC metrics (JSON) and per-example predictions (JSONL: id, lang, gold, pred, probs) that
the paired statistics use; probabilities are rounded so files are stable byte for byte.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from xstilts.config import Params
from xstilts.data.prepared import read_split, target_languages
from xstilts.io import read_json, write_json, write_jsonl
from xstilts.modeling.model import load_checkpoint
from xstilts.predict import accuracy, predict
from xstilts.tasks import get_task


def run_evaluate(
    params: Params,
    condition: str,
    task: str,
    seed: int,
    checkpoint: Path,
    prepared: Path,
    metrics_path: Path,
    predictions_path: Path,
) -> dict:
    model, tokenizer, meta = load_checkpoint(checkpoint)
    spec = get_task(task)
    config = params.target.training_for(task)
    sources = read_json(prepared / "summary.json")
    records, scores, sizes, splits, widths = [], {}, {}, {}, set()
    for lang in target_languages(params, task):
        examples = read_split(prepared, task, "test", lang)
        probs = predict(
            model,
            tokenizer,
            spec.head_name,
            examples,
            config.max_length_for(task),
            params.evaluate.batch_size,
            params.evaluate.precision,
        )
        scores[lang] = accuracy(probs, [e.label for e in examples])
        sizes[lang] = len(examples)
        widths.add(probs.shape[1])
        splits[lang] = sources[f"{task}/test.{lang}.jsonl"]["source"]
        records += [
            {
                "id": e.id,
                "lang": lang,
                "gold": e.label,
                "pred": int(p.argmax()),
                "probs": [round(float(x), 6) for x in p],
            }
            for e, p in zip(examples, probs, strict=True)
        ]
    zero_shot = [score for lang, score in scores.items() if lang != "en"]
    metrics = {
        "condition": condition,
        "task": task,
        "seed": seed,
        "dev_en": meta["dev_mean"],
        "accuracy": scores,
        "mean": statistics.fmean(scores.values()),
        "chance": 1 / max(widths),
        "mean_zero_shot": statistics.fmean(zero_shot) if zero_shot else None,
        "examples": sizes,
        "eval_splits": splits,
    }
    write_jsonl(predictions_path, records)
    write_json(metrics_path, metrics)
    return metrics
