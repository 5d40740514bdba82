"""Question + context in, windows to the model, character spans back (extractive QA).

Each example becomes one or more windows `<s> question </s></s> context-part </s>`, the way
XTREME's QA script (`third_party/run_squad.py`, transformers' `squad_convert_examples_to_features`)
builds them:
- the question is cut to its first `max_query_length` tokens (counted:
  `EncodedSpans.truncated_questions`);
- a context longer than one window is covered by windows that start every `doc_stride` tokens
  (XTREME: 384 tokens a window, a new one every 128), each as long as the window allows, until
  one reaches the context's end;
- a context token seen by several windows belongs, for prediction, to the one where it has the
  most context on both sides (`token_is_max_context`), so an answer is chosen where the model saw
  most around it;
- in training, a window's target is the first answer's first and last tokens, or `<s>` (position
  0) when the answer is not wholly inside the window.

Context tokens keep their character offsets (the fast tokenizer's `offset_mapping`), so a
predicted token span is cut out of the original context text: no detokenization heuristics.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from xstilts.config import SpanConfig, TrainingConfig
from xstilts.errors import XstiltsError
from xstilts.examples import SpanExample
from xstilts.modeling.segmented import Segmented

CHUNK_EXAMPLES = 256
NO_OFFSET = -1  # the offset of a token that is not part of the context


@dataclass(frozen=True)
class Windowing:
    """How examples are cut into windows: `max_length` tokens each, starting every `doc_stride`
    tokens, the question cut to `max_query_length` (the values are a recipe's: `SpanConfig`)."""

    max_length: int
    doc_stride: int
    max_query_length: int

    @classmethod
    def of(cls, config: TrainingConfig, task: str) -> Windowing:
        """The windows of `task` in a training recipe (its max length, `spans` settings)."""
        return cls.at(config.max_length_for(task), config.spans)

    @classmethod
    def at(cls, max_length: int, spans: SpanConfig | None = None) -> Windowing:
        """Windows of `max_length` tokens with a recipe's stride and question length (by
        default the recipe defaults: XTREME's 128 and 64)."""
        spans = spans or SpanConfig()
        return cls(max_length, spans.doc_stride, spans.max_query_length)


@dataclass(frozen=True, eq=False)
class EncodedSpans(Segmented, Sequence[dict[str, Any]]):
    """A split of span examples as windows, flat.

    Window w is `ids[starts[w]:starts[w + 1]]`; for each of its tokens, `offsets` holds the
    character span in its example's context (`NO_OFFSET` outside the context) and `max_context`
    whether this window is the token's best (see the module docstring). Window w belongs to
    example `example[w]`; an example's windows are consecutive. `answer_start`/`answer_end` are
    the training targets (token positions, 0 for `<s>`).
    """

    ids: np.ndarray
    starts: np.ndarray
    offsets: np.ndarray  # [tokens, 2] int32
    max_context: np.ndarray  # [tokens] bool
    answer_start: np.ndarray
    answer_end: np.ndarray
    example: np.ndarray
    contexts: tuple[str, ...]
    answers: tuple[tuple[str, ...], ...]
    languages: tuple[str, ...]
    truncated_questions: int = 0
    unreachable_answers: int = 0  # answers whose characters map to no context token
    unit = "window"

    @property
    def examples(self) -> int:
        return len(self.contexts)

    def _feature(self, w: int) -> dict[str, Any]:
        return {
            "input_ids": self.ids[self.starts[w] : self.starts[w + 1]].tolist(),
            "answer_start": int(self.answer_start[w]),
            "answer_end": int(self.answer_end[w]),
        }

    def window_offsets(self, w: int) -> np.ndarray:
        return self.offsets[self.starts[w] : self.starts[w + 1]]

    def window_max_context(self, w: int) -> np.ndarray:
        return self.max_context[self.starts[w] : self.starts[w + 1]]


def encode_spans(
    examples: Iterable[SpanExample], tokenizer: PreTrainedTokenizerBase, windowing: Windowing
) -> EncodedSpans:
    """Tokenize span examples a chunk at a time (examples may be a stream)."""
    if not tokenizer.is_fast:
        raise XstiltsError("span QA needs a fast tokenizer (character offsets of its tokens)")
    # per-token arrays are made a chunk at a time (int32 ids and offsets, bool flags), so
    # encoding holds one chunk's Python lists, not a split's (SQuAD: ~16M tokens)
    arrays: dict[str, list[np.ndarray]] = {k: [] for k in ("ids", "offsets", "max_ctx")}
    per_window: dict[str, list[int]] = {k: [] for k in ("a0", "a1", "owner", "lengths")}
    contexts, answers, languages = [], [], []
    truncated = unreachable = 0
    items = iter(examples)
    while chunk := list(itertools.islice(items, CHUNK_EXAMPLES)):
        questions = tokenizer([e.question for e in chunk], add_special_tokens=False)["input_ids"]
        docs = tokenizer(
            [e.context for e in chunk], add_special_tokens=False, return_offsets_mapping=True
        )
        tokens: dict[str, list] = {k: [] for k in arrays}
        for row, example in enumerate(chunk):
            query = questions[row]
            if len(query) > windowing.max_query_length:
                query, truncated = query[: windowing.max_query_length], truncated + 1
            doc_offsets = docs["offset_mapping"][row]
            target = None
            if example.answers:
                target = _answer_tokens(doc_offsets, example.starts[0], len(example.answers[0]))
                unreachable += target is None
            for window in _windows(
                query, docs["input_ids"][row], doc_offsets, target, tokenizer, windowing
            ):
                tokens["ids"] += window.ids
                tokens["offsets"] += window.offsets
                tokens["max_ctx"] += window.max_context
                per_window["a0"].append(window.answer[0])
                per_window["a1"].append(window.answer[1])
                per_window["owner"].append(len(contexts))
                per_window["lengths"].append(len(window.ids))
            contexts.append(example.context)
            answers.append(example.answers)
            languages.append(example.lang)
        arrays["ids"].append(np.asarray(tokens["ids"], dtype=np.int32))
        arrays["offsets"].append(np.asarray(tokens["offsets"], dtype=np.int32).reshape(-1, 2))
        arrays["max_ctx"].append(np.asarray(tokens["max_ctx"], dtype=bool))
    joined = {
        "ids": _joined(arrays["ids"], np.int32, (0,)),
        "offsets": _joined(arrays["offsets"], np.int32, (0, 2)),
        "max_ctx": _joined(arrays["max_ctx"], bool, (0,)),
    }
    return EncodedSpans(
        ids=joined["ids"],
        starts=np.concatenate([[0], np.cumsum(per_window["lengths"], dtype=np.int64)]).astype(
            np.int64
        ),
        offsets=joined["offsets"],
        max_context=joined["max_ctx"],
        answer_start=np.asarray(per_window["a0"], dtype=np.int64),
        answer_end=np.asarray(per_window["a1"], dtype=np.int64),
        example=np.asarray(per_window["owner"], dtype=np.int64),
        contexts=tuple(contexts),
        answers=tuple(answers),
        languages=tuple(languages),
        truncated_questions=truncated,
        unreachable_answers=unreachable,
    )


def _joined(parts: list[np.ndarray], dtype: type, empty: tuple[int, ...]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(empty, dtype=dtype)


@dataclass(frozen=True)
class _Window:
    ids: list[int]
    offsets: list[tuple[int, int]]
    max_context: list[bool]
    answer: tuple[int, int]


def _answer_tokens(
    offsets: Sequence[tuple[int, int]], start: int, length: int
) -> tuple[int, int] | None:
    """The first and last context tokens covering characters [start, start + length)."""
    end = start + length
    covering = [i for i, (a, b) in enumerate(offsets) if a < end and b > start and b > a]
    return (covering[0], covering[-1]) if covering else None


def _windows(
    query: list[int],
    doc: list[int],
    doc_offsets: Sequence[tuple[int, int]],
    target: tuple[int, int] | None,
    tokenizer: PreTrainedTokenizerBase,
    windowing: Windowing,
) -> list[_Window]:
    room = windowing.max_length - len(query) - tokenizer.num_special_tokens_to_add(pair=True)
    if room < 1:
        raise XstiltsError(
            f"max_length {windowing.max_length} leaves no room for a context after a question "
            f"of {len(query)} tokens (lower max_query_length)"
        )
    step = min(windowing.doc_stride, room)
    prefix, middle, suffix = pair_template(tokenizer)
    spans = []  # (first doc token, count)
    begin = 0
    while True:
        count = min(room, len(doc) - begin)
        spans.append((begin, count))
        if begin + count >= len(doc):
            break
        begin += step
    best = _max_context_windows(spans, len(doc))
    lead = len(prefix) + len(query) + len(middle)  # position of the first context token
    windows = []
    for number, (begin, count) in enumerate(spans):
        ids = prefix + query + middle + doc[begin : begin + count] + suffix
        offsets = [(NO_OFFSET, NO_OFFSET)] * len(ids)
        max_context = [False] * len(ids)
        for i in range(count):
            offsets[lead + i] = tuple(doc_offsets[begin + i])
            max_context[lead + i] = best[begin + i] == number
        answer = (0, 0)
        if target is not None and begin <= target[0] and target[1] < begin + count:
            answer = (lead + target[0] - begin, lead + target[1] - begin)
        windows.append(_Window(ids, offsets, max_context, answer))
    return windows


def pair_template(tokenizer: PreTrainedTokenizerBase) -> tuple[list[int], list[int], list[int]]:
    """The special tokens the tokenizer puts before, between and after a pair of sequences
    (XLM-R: `<s>`, `</s></s>`, `</s>`), read off the encoding of a pair of known texts."""
    key = id(tokenizer)
    if key not in _TEMPLATES:
        first = tokenizer("a", add_special_tokens=False)["input_ids"]
        second = tokenizer("b", add_special_tokens=False)["input_ids"]
        pair = tokenizer("a", "b")["input_ids"]
        i = _find(pair, first, 0)
        j = _find(pair, second, i + len(first))
        _TEMPLATES[key] = (pair[:i], pair[i + len(first) : j], pair[j + len(second) :])
    return _TEMPLATES[key]


_TEMPLATES: dict[int, tuple[list[int], list[int], list[int]]] = {}


def _find(sequence: list[int], part: list[int], start: int) -> int:
    for i in range(start, len(sequence) - len(part) + 1):
        if sequence[i : i + len(part)] == part:
            return i
    raise XstiltsError("span QA: cannot read the tokenizer's template for a pair of texts")


def _max_context_windows(spans: list[tuple[int, int]], length: int) -> list[int]:
    """For each context token, the window in which it has the most context: the largest
    min(tokens left, tokens right) + 0.01 x window length, as in the SQuAD reference code."""
    best, score = [0] * length, [-1.0] * length
    for number, (begin, count) in enumerate(spans):
        for position in range(begin, begin + count):
            left, right = position - begin, begin + count - 1 - position
            value = min(left, right) + 0.01 * count
            if value > score[position]:
                best[position], score[position] = number, value
    return best


def collate_spans(features: list[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch of windows to its longest; targets are token positions."""
    width = max(len(f["input_ids"]) for f in features)
    input_ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(features), width), dtype=torch.long)
    for row, f in enumerate(features):
        n = len(f["input_ids"])
        input_ids[row, :n] = torch.tensor(f["input_ids"])
        mask[row, :n] = 1
    return {
        "input_ids": input_ids,
        "attention_mask": mask,
        "start_positions": torch.tensor([f["answer_start"] for f in features]),
        "end_positions": torch.tensor([f["answer_end"] for f in features]),
    }
