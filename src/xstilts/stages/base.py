"""The `base` stage: the pretrained multilingual encoder every condition starts from.

`pretrain` (sample profile): train a Unigram tokenizer on the sample corpus, then pretrain a tiny
XLM-R-architecture masked LM on monolingual text plus translation pairs concatenated as one
sequence (XLM's TLM objective), which is what lets zero-shot transfer happen in the sample world.
`hub` (full profile): snapshot xlm-roberta-large at its pinned revision.
"""

from __future__ import annotations

import logging
import random
import shutil
from pathlib import Path

from transformers import PreTrainedTokenizerBase, XLMRobertaConfig, XLMRobertaForMaskedLM

from xstilts.config import BaseConfig, ExecutionConfig, PretrainConfig, SamplerConfig
from xstilts.data.hub import snapshot_model
from xstilts.data.sources import PULL_HINT
from xstilts.errors import XstiltsError
from xstilts.io import atomic_dir, write_json
from xstilts.logs import log_to
from xstilts.modeling.encoding import Features
from xstilts.modeling.precision import ATTN_IMPLEMENTATION
from xstilts.modeling.tokenizer import train_tokenizer
from xstilts.ranks import is_main_process, wait_for_everyone
from xstilts.seeding import seed_everything
from xstilts.training.loop import Trainer, TrainingRun
from xstilts.training.objectives import MaskedLMObjective

log = logging.getLogger(__name__)
DEV_FRACTION = 0.02


def read_corpus(corpus_dir: Path) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Monolingual lines per language and (english, translation) pairs."""
    if not corpus_dir.is_dir():
        raise XstiltsError(f"corpus directory {corpus_dir} is missing; {PULL_HINT}")
    mono = {
        path.stem: [line for line in path.read_text(encoding="utf-8").splitlines() if line]
        for path in sorted(corpus_dir.glob("*.txt"))
    }
    pairs = []
    for path in sorted((corpus_dir / "parallel").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            english, translation = line.split("\t")
            pairs.append((english, translation))
    if not mono:
        raise XstiltsError(f"no corpus files (*.txt) in {corpus_dir}; {PULL_HINT}")
    return mono, pairs


def pack_lines(
    lines: list[str], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> list[Features]:
    """Consecutive lines of one language packed into sequences of at most max_length tokens."""
    pieces = tokenizer(lines, add_special_tokens=False)["input_ids"]
    cls, sep, budget = tokenizer.cls_token_id, tokenizer.sep_token_id, max_length - 2
    sequences, current = [], []
    for ids in pieces:
        ids = ids[:budget]
        if current and len(current) + len(ids) > budget:
            sequences.append(current)
            current = []
        current = current + ids
    if current:
        sequences.append(current)
    return [{"input_ids": [cls, *s, sep], "label": 0} for s in sequences]


def mlm_features(
    mono: dict[str, list[str]],
    pairs: list[tuple[str, str]],
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    seed: int,
) -> list[Features]:
    features = []
    for lines in mono.values():
        features += pack_lines(lines, tokenizer, max_length)
    rng = random.Random(f"tlm-order:{seed}")
    firsts, seconds = [], []
    for english, translation in pairs:  # random order, so neither side is always first
        a, b = (english, translation) if rng.random() < 0.5 else (translation, english)
        firsts.append(a)
        seconds.append(b)
    if pairs:
        encoded = tokenizer(firsts, seconds, truncation=True, max_length=max_length)["input_ids"]
        features += [{"input_ids": ids, "label": 0} for ids in encoded]
    return features


def split_dev(features: list[Features], seed: int) -> tuple[list[Features], list[Features]]:
    order = list(range(len(features)))
    random.Random(f"mlm-dev:{seed}").shuffle(order)
    n_dev = max(1, int(len(features) * DEV_FRACTION))
    dev = sorted(order[:n_dev])
    train = sorted(order[n_dev:])
    return [features[i] for i in train], [features[i] for i in dev]


def pretrain_run(pre: PretrainConfig, execution: ExecutionConfig) -> TrainingRun:
    """The MLM run: one objective, so the sampler's settings choose nothing."""
    return TrainingRun(pre, SamplerConfig(), pre.max_steps, execution)


def pretrain(
    config: BaseConfig, execution: ExecutionConfig, corpus_dir: Path, tmp: Path, state_dir: Path
) -> dict:
    """Tokenizer + MLM pretraining, written into `tmp` (the stage's atomic output dir)."""
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
    train, dev = split_dev(features, pre.seed)
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
        train=train,
        dev=dev,
        pad_id=tokenizer.pad_token_id,
        mask_id=tokenizer.mask_token_id,
        vocab_size=len(tokenizer),
        special_ids=tuple(sorted(set(tokenizer.all_special_ids))),
        mask_prob=pre.mask_prob,
    )
    log.info("MLM: %d train / %d dev sequences, %d steps", len(train), len(dev), pre.max_steps)
    run = pretrain_run(pre, execution)
    trainer = Trainer(model, [objective], run, pre.seed, state_dir, run_name="base")
    result = trainer.fit()
    trainer.raw_model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    return {
        "stage": "base",
        "source": "pretrain",
        "languages": sorted(mono),
        "translation_pairs": len(pairs),
        "vocab_size": len(tokenizer),
        "train_sequences": len(train),
        "dev_sequences": len(dev),
        "steps": result.steps,
        "best_step": result.best_step,
        "dev_masked_token_accuracy": result.best_score,
        "history": result.history,
        "resumed_from": result.resumed_from,
    }


def run_base(
    config: BaseConfig,
    corpus_dir: Path,
    out_dir: Path,
    state_dir: Path,
    execution: ExecutionConfig | None = None,
) -> dict:
    """Write the base model (save_pretrained MLM + tokenizer + meta.json) to `out_dir`;
    `execution` (params' `execution.base`; None: its defaults) is how pretraining uses the
    hardware."""
    with atomic_dir(out_dir) as tmp, log_to(tmp / "train.log"):
        if config.source == "hub":
            snapshot_model(config.hub_model, config.hub_revision, str(tmp))
            meta = {
                "stage": "base",
                "source": "hub",
                "model": config.hub_model,
                "revision": config.hub_revision,
            }
        else:
            meta = pretrain(config, execution or ExecutionConfig(), corpus_dir, tmp, state_dir)
        write_json(tmp / "meta.json", meta)
    wait_for_everyone()
    if is_main_process():  # the run is complete: drop its resume state
        shutil.rmtree(state_dir, ignore_errors=True)
    return meta
