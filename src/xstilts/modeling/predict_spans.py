"""The answer span of each example: start/end scores of every window (length-sorted batches,
dynamic padding, bf16 autocast on a GPU, as for classification), then the best span over an
example's windows, chosen as XTREME's QA script chooses it (`run_squad.py`, transformers'
`compute_predictions_logits`): the `n_best` highest start and end scores of a window, pairs with
both ends in the context, the start at a token of maximal context, end >= start and at most
`max_answer_length` tokens, scored start + end; no null answer (SQuAD v1.1). The text is the
context's characters from the start token's first to the end token's last."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from transformers import PreTrainedTokenizerBase

from xstilts.config import SpanConfig
from xstilts.examples import SpanExample
from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.segmented import forward_inputs
from xstilts.modeling.span_inputs import NO_OFFSET, EncodedSpans, Windowing, encode_spans


@dataclass(frozen=True)
class SpanChoice:
    """How an answer is chosen over windows: the best of the `n_best` start and end scores,
    answers of at most `max_answer_length` tokens (the values are `SpanConfig`'s)."""

    n_best: int
    max_answer_length: int

    @classmethod
    def of(cls, spans: SpanConfig | None = None) -> SpanChoice:
        """A recipe's answer choice (by default the recipe defaults: XTREME's)."""
        spans = spans or SpanConfig()
        return cls(spans.n_best, spans.max_answer_length)


@dataclass(frozen=True)
class Answer:
    text: str
    start: int  # character offsets in the context; -1 and "" when no span is valid
    end: int
    score: float


NO_ANSWER = Answer("", -1, -1, float("-inf"))


def window_logits(
    model: MultiTaskModel,
    head: str,
    encoded: EncodedSpans,
    pad_id: int,
    batch_size: int = 128,
    precision: str = "auto",
    windows: Sequence[int] | None = None,
) -> dict[int, np.ndarray]:
    """Window -> [length, 2] start/end logits (float32), for `windows` (default: all)."""
    wanted = range(len(encoded)) if windows is None else windows
    lengths = encoded.lengths()
    out: dict[int, np.ndarray] = {}
    for chunk, logits in forward_inputs(
        model, head, encoded, wanted, pad_id, batch_size, precision
    ):
        host = logits.float().cpu().numpy()
        for row, w in enumerate(chunk):
            out[w] = host[row, : lengths[w]]
    return out


def best_answer(
    encoded: EncodedSpans, example: int, logits: dict[int, np.ndarray], choice: SpanChoice
) -> Answer:
    """The highest-scoring valid span over the example's windows."""
    best = NO_ANSWER
    context = encoded.contexts[example]
    for w in encoded.grouped[example]:
        scores, offsets = logits[w], encoded.window_offsets(w)
        usable = encoded.window_max_context(w)
        starts = _top(scores[:, 0], choice.n_best)
        ends = _top(scores[:, 1], choice.n_best)
        for s in starts:
            if not usable[s]:
                continue
            for e in ends:
                if e < s or e - s + 1 > choice.max_answer_length or offsets[e][0] == NO_OFFSET:
                    continue
                score = float(scores[s, 0] + scores[e, 1])
                if score > best.score:
                    first, last = int(offsets[s][0]), int(offsets[e][1])
                    best = Answer(context[first:last].strip(), first, last, score)
    return best


def _top(values: np.ndarray, n: int) -> list[int]:
    """Indices of the n largest values, largest first (ties: the earlier position)."""
    order = np.argsort(-values, kind="stable")
    return order[:n].tolist()


def predict_answers(
    model: MultiTaskModel,
    head: str,
    encoded: EncodedSpans,
    pad_id: int,
    choice: SpanChoice,
    batch_size: int = 128,
    precision: str = "auto",
    examples: Sequence[int] | None = None,
) -> list[Answer]:
    """The answer of each example (of `examples`, by index, in that order, when given)."""
    chosen = range(encoded.examples) if examples is None else examples
    windows = [w for e in chosen for w in encoded.grouped[e]]
    logits = window_logits(model, head, encoded, pad_id, batch_size, precision, windows)
    return [best_answer(encoded, e, logits, choice) for e in chosen]


def predict_spans(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    head: str,
    examples: list[SpanExample],
    windowing: Windowing,
    choice: SpanChoice | None = None,
    batch_size: int = 128,
    precision: str = "auto",
) -> list[Answer]:
    """Answers for typed examples (their gold answers are ignored)."""
    encoded = encode_spans(examples, tokenizer, windowing)
    return predict_answers(
        model,
        head,
        encoded,
        tokenizer.pad_token_id,
        choice or SpanChoice.of(),
        batch_size,
        precision,
    )


def gold_probability(encoded: EncodedSpans, example: int, logits: dict[int, np.ndarray]) -> float:
    """The model's probability of the first gold answer's span: softmax(start) x softmax(end)
    at its tokens, in the best of the windows that hold it whole (0 when none does). The
    attack's tie-breaker when the answer's F1 does not move."""
    best = 0.0
    for w in encoded.grouped[example]:
        first, last = int(encoded.answer_start[w]), int(encoded.answer_end[w])
        if first == 0:
            continue
        scores = logits[w]
        start = np.exp(scores[:, 0] - scores[:, 0].max())
        end = np.exp(scores[:, 1] - scores[:, 1].max())
        best = max(best, float(start[first] / start.sum() * end[last] / end.sum()))
    return best


def answers_with_gold_probability(
    model: MultiTaskModel,
    head: str,
    encoded: EncodedSpans,
    pad_id: int,
    choice: SpanChoice,
    batch_size: int = 128,
    precision: str = "auto",
) -> list[tuple[Answer, float]]:
    """Each example's answer and its gold span's probability, from one pass over the windows."""
    logits = window_logits(model, head, encoded, pad_id, batch_size, precision)
    return [
        (best_answer(encoded, e, logits, choice), gold_probability(encoded, e, logits))
        for e in range(encoded.examples)
    ]
