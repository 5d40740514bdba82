"""The masked-LM sequences of the sample corpus.

Monolingual lines of one language are packed into sequences; each translation pair is one
sequence, its two sides in random order (XLM's translation language modelling: a masked word can
be read off its translation, which is what aligns the languages).
"""

from __future__ import annotations

import random
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from xstilts.data.sources import PULL_HINT
from xstilts.errors import XstiltsError
from xstilts.modeling.encoding import Features

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
