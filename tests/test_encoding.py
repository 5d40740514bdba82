"""Encoding a split a chunk at a time into compact arrays gives exactly the features, lengths and
batches that encoding it in one call into Python lists gave, in bounded memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
import torch

from xstilts.data.sources import load_examples
from xstilts.examples import ChoiceExample, Example, PairExample, TextExample
from xstilts.modeling import encoding
from xstilts.modeling.encoding import encode, sequence_length, sequence_lengths
from xstilts.modeling.tokenizer import train_tokenizer
from xstilts.tasks import get_task
from xstilts.training.batches import BatchStream
from xstilts.training.objectives import TaskObjective

SAMPLE_SPLITS = [(t, s) for t in ("mnli", "qqp", "race", "xcopa") for s in ("train", "dev")]


@pytest.fixture(scope="module")
def tokenizer(small_world: Path):
    lines = []
    for path in sorted((small_world / "corpus").glob("*.txt")):
        lines += path.read_text(encoding="utf-8").splitlines()
    return train_tokenizer(lines, vocab_size=800)


def one_call_encode(examples: list[Example], tokenizer, max_length: int) -> list[dict]:
    """How splits were encoded before: the whole split in one tokenizer call, into lists."""
    first = examples[0]
    if isinstance(first, PairExample):
        texts = ([e.text_a for e in examples], [e.text_b for e in examples])
        ids = tokenizer(*texts, truncation="longest_first", max_length=max_length)["input_ids"]
    elif isinstance(first, TextExample):
        texts = [e.text for e in examples]
        ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    else:
        firsts, seconds, sizes = [], [], []
        for e in examples:
            firsts += [e.context] * len(e.choices)
            seconds += [f"{e.question} {c}" if e.question else c for c in e.choices]
            sizes.append(len(e.choices))
        flat = tokenizer(firsts, seconds, truncation="only_first", max_length=max_length)
        ids, start = [], 0
        for size in sizes:
            ids.append(flat["input_ids"][start : start + size])
            start += size
    return [{"input_ids": i, "label": e.label} for i, e in zip(ids, examples, strict=True)]


@pytest.mark.parametrize(("task", "split"), SAMPLE_SPLITS)
@pytest.mark.parametrize("max_length", [32, 128])
def test_chunked_encoding_gives_the_same_batches(
    small_world, tokenizer, monkeypatch, task, split, max_length
) -> None:
    monkeypatch.setattr(encoding, "CHUNK_EXAMPLES", 7)  # many chunks, a ragged last one
    examples = load_examples(get_task(task), split, "en", "sample", small_world)
    before = one_call_encode(examples, tokenizer, max_length)
    after = encode(iter(examples), tokenizer, max_length)
    assert len(after) == len(before)
    assert list(after) == before
    assert after[3:11] == before[3:11] and after[-1] == before[-1]
    assert sequence_lengths(after) == [sequence_length(f) for f in before]
    old = TaskObjective(task, task, before, before, tokenizer.pad_token_id)
    new = TaskObjective(task, task, after, after, tokenizer.pad_token_id)
    old_stream = BatchStream(len(before), 16, 0, task, lengths=old.lengths(), mega_batches=2)
    new_stream = BatchStream(len(after), 16, 0, task, lengths=new.lengths(), mega_batches=2)
    for _ in range(2 * len(before) // 16 + 1):  # into the second epoch
        indices = new_stream.next_indices()
        assert indices == old_stream.next_indices()
        old_batch, new_batch = old.batch(indices), new.batch(indices)
        assert old_batch.keys() == new_batch.keys()
        for key, value in old_batch.items():
            assert new_batch[key].dtype == value.dtype and torch.equal(new_batch[key], value)


def test_single_texts_and_empty_splits(tokenizer) -> None:
    texts = [TextExample(str(i), "en", f"a review number {i} " * (i % 9), i % 2) for i in range(50)]
    assert list(encode(texts, tokenizer, 16)) == one_call_encode(texts, tokenizer, 16)
    empty = encode([], tokenizer, 16)
    assert len(empty) == 0 and list(empty) == [] and sequence_lengths(empty) == []


def synthetic_race(examples: int, words: int) -> list[ChoiceExample]:
    context = " ".join(f"word{i % 97} sentence" for i in range(words))
    return [
        ChoiceExample(str(i), "en", f"{i} {context}", "what is it ?", ("a", "b c", "d", "e f"), 0)
        for i in range(examples)
    ]


def test_encoding_memory_is_bounded(tokenizer) -> None:
    """Tokens are kept in 4 bytes each, and tokenizing holds one chunk's lists at a time (Python
    lists of ids took ~40 bytes per token, and one call held them for the whole split)."""
    examples = synthetic_race(2000, 40)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        encoded = encode(iter(examples), tokenizer, 64)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tokens = sum(len(s) for f in encoded[:50] for s in f["input_ids"]) * len(encoded) // 50
    assert tokens > 400_000
    assert (kept - start) / tokens < 6
    assert (peak - start) / tokens < 16
