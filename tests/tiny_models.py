"""The tests' one builder of tiny tokenizers and tiny XLM-R-architecture models.

Plain Python (no pytest): tests/ddp_worker.py imports it in the processes torchrun starts, the
test modules and tests/app_support.py import it in the test session. Every caller names the
sizes it needs; the defaults are the smallest model the tests use."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.modeling.model import HeadInfo, MultiTaskModel
from xstilts.modeling.tokenizer import train_tokenizer


def corpus_lines(world: Path, languages: Iterable[str] | None = None) -> list[str]:
    """The sample world's corpus lines: every language's (sorted by file name), or `languages`'
    in that order."""
    paths = (
        sorted((world / "corpus").glob("*.txt"))
        if languages is None
        else [world / "corpus" / f"{lang}.txt" for lang in languages]
    )
    lines: list[str] = []
    for path in paths:
        lines += path.read_text(encoding="utf-8").splitlines()
    return lines


def task_lines(world: Path, *splits: str) -> list[str]:
    """The raw JSONL lines of task splits such as "qqp/train" (a tokenizer sees their text)."""
    return [
        line
        for split in splits
        for line in (world / "tasks" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    ]


def tiny_tokenizer(lines: list[str], vocab_size: int):
    return train_tokenizer(lines, vocab_size=vocab_size)


def tiny_config(
    tokenizer,
    *,
    hidden_size: int = 32,
    num_hidden_layers: int = 1,
    num_attention_heads: int = 2,
    intermediate_size: int = 64,
    max_position_embeddings: int = 130,
    dropout: float | None = None,
) -> XLMRobertaConfig:
    """An XLM-R configuration for `tokenizer`; `dropout` None keeps the library's default."""
    rates = (
        {}
        if dropout is None
        else {"hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout}
    )
    return XLMRobertaConfig(
        **rates,
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
    )


def tiny_model(tokenizer, tasks: Iterable[str], seed: int | None = 0, **config) -> MultiTaskModel:
    """A multi-task model with a head per task, its weights drawn after seeding torch with
    `seed` (None: from the generator's current state)."""
    if seed is not None:
        torch.manual_seed(seed)
    encoder = XLMRobertaModel(tiny_config(tokenizer, **config), add_pooling_layer=False)
    return MultiTaskModel(encoder, [HeadInfo.for_task(t) for t in tasks])
