"""Pretraining the sample encoder: a Unigram tokenizer, then a small XLM-R-architecture masked
LM on the sample corpus (monolingual text plus translation pairs as one sequence).

`pretrain_encoder` writes the whole tracked folder: weights and tokenizer (`save_pretrained`),
the training log, and a meta.json with the settings, the corpus digest, the probes' numbers,
the digests of a short check run (the recipe cut to `CHECK_STEPS` steps, which CI repeats) and
the sha256 of every file. Equal settings and corpus on the same kind of CPU give the same bytes.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaForMaskedLM

from xstilts.config import BaseConfig, ExecutionConfig, PretrainConfig, SamplerConfig
from xstilts.data.sources import sample_rows
from xstilts.errors import XstiltsError
from xstilts.io import atomic_dir, write_json
from xstilts.logs import log_to
from xstilts.modeling.precision import ATTN_IMPLEMENTATION
from xstilts.modeling.tokenizer import train_tokenizer
from xstilts.pretraining import artifact
from xstilts.pretraining.corpus import mlm_features, read_corpus, split_dev
from xstilts.pretraining.probes import copy_probe, translation_retrieval
from xstilts.seeding import seed_everything
from xstilts.training.loop import Trainer, TrainingRun
from xstilts.training.objectives import MaskedLMObjective

log = logging.getLogger(__name__)
CHECK_STEPS = 20  # the short run whose digests meta.json records and CI repeats
PROBE_LINES = 400  # English corpus lines of the copy probe


def pretrain_run(pre: PretrainConfig, execution: ExecutionConfig) -> TrainingRun:
    """The MLM run: one objective, so the sampler's settings choose nothing."""
    return TrainingRun(pre, SamplerConfig(), pre.max_steps, execution)


def train(
    config: BaseConfig, execution: ExecutionConfig, corpus_dir: Path, out: Path, state_dir: Path
) -> dict[str, Any]:
    """Tokenizer + MLM pretraining, saved into `out`; returns the run's summary."""
    pre: PretrainConfig = config.pretrain
    arch = config.architecture
    if arch.max_position_embeddings < pre.max_length + 2:
        raise XstiltsError(
            "base.architecture.max_position_embeddings must be >= base.pretrain.max_length + 2"
        )
    seed_everything(pre.seed)
    mono, pairs = read_corpus(corpus_dir)
    all_lines = [line for lines in mono.values() for line in lines]
    all_lines += [text for pair in pairs for text in pair]
    tokenizer = train_tokenizer(all_lines, config.tokenizer.vocab_size)
    log.info("tokenizer: %d pieces from %d lines", len(tokenizer), len(all_lines))
    features = mlm_features(mono, pairs, tokenizer, pre.max_length, pre.seed)
    train_set, dev = split_dev(features, pre.seed)
    model = XLMRobertaForMaskedLM(
        XLMRobertaConfig(
            vocab_size=len(tokenizer),
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.cls_token_id,
            eos_token_id=tokenizer.sep_token_id,
            type_vocab_size=1,
            attn_implementation=ATTN_IMPLEMENTATION,
            **arch.model_dump(),
        )
    )
    objective = MaskedLMObjective(
        train=train_set,
        dev=dev,
        pad_id=tokenizer.pad_token_id,
        mask_id=tokenizer.mask_token_id,
        vocab_size=len(tokenizer),
        special_ids=tuple(sorted(set(tokenizer.all_special_ids))),
        mask_prob=pre.mask_prob,
    )
    log.info("MLM: %d train / %d dev sequences, %d steps", len(train_set), len(dev), pre.max_steps)
    trainer = Trainer(model, [objective], pretrain_run(pre, execution), pre.seed, state_dir, "base")
    result = trainer.fit()
    trainer.raw_model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return {
        "languages": sorted(mono),
        "translation_pairs": len(pairs),
        "vocab_size": len(tokenizer),
        "train_sequences": len(train_set),
        "dev_sequences": len(dev),
        "steps": result.steps,
        "best_step": result.best_step,
        "dev_masked_token_accuracy": result.best_score,
        "history": result.history,
        "resumed_from": result.resumed_from,
    }


def probe(model_dir: Path, data_root: Path) -> dict[str, Any]:
    """The copy probe on English corpus lines and translation retrieval on the XNLI-shaped
    test premises (parallel in every language, never seen in pretraining)."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = XLMRobertaForMaskedLM.from_pretrained(model_dir, use_safetensors=True).eval()
    english = (data_root / "corpus" / "en.txt").read_text(encoding="utf-8").splitlines()
    parallel = {
        path.parent.name: [row["premise"] for row in sample_rows(path)]
        for path in sorted((data_root / "tasks" / "xnli").glob("*/test.jsonl"))
    }
    copy = copy_probe(model, tokenizer, english[-PROBE_LINES:])
    return {
        "copy": copy,
        "translation_retrieval": translation_retrieval(model, tokenizer, parallel),
    }


def short_check(config: BaseConfig, execution: ExecutionConfig, corpus_dir: Path) -> dict:
    """The same recipe cut to `CHECK_STEPS` steps (its schedule shrinks with it, so this is a
    run of its own, not a prefix of the full one): file digests and weight fingerprint."""
    steps = min(CHECK_STEPS, config.pretrain.max_steps)
    short = config.model_copy(
        update={"pretrain": config.pretrain.model_copy(update={"max_steps": steps})}
    )
    with tempfile.TemporaryDirectory() as scratch:
        out, state = Path(scratch) / "model", Path(scratch) / "state"
        out.mkdir()
        train(short, execution, corpus_dir, out, state)
        return {
            "max_steps": steps,
            "files": artifact.file_digests(out),
            "weights": artifact.weight_fingerprint(out / "model.safetensors"),
        }


def pretrain_encoder(
    config: BaseConfig, execution: ExecutionConfig, data_root: Path, out_dir: Path, state: Path
) -> dict[str, Any]:
    """Write the tracked encoder folder (weights, tokenizer, train.log, meta.json)."""
    corpus_dir = data_root / "corpus"
    with atomic_dir(out_dir) as tmp:
        with log_to(tmp / "train.log"):
            summary = train(config, execution, corpus_dir, tmp, state)
        meta = {
            "settings": artifact.recorded_settings(config),
            "corpus_sha256": artifact.corpus_digest(corpus_dir),
            **summary,
            "probes": probe(tmp, data_root),
            "check": short_check(config, execution, corpus_dir),
        }
        meta["files"] = artifact.file_digests(tmp)
        write_json(tmp / artifact.META, meta)
    return meta
