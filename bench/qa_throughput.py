"""Evaluation throughput of the span-QA path (windows/s) against a plain per-example loop.

Synthetic SQuAD-like questions (a question of ~12 words, a context of --context-words words, so
a context longer than one window is read in several overlapping windows), tokenized by the
sample encoder's tokenizer (`pretrained/`, a fast XLM-R tokenizer) and answered by a randomly
initialised model of --size (`tiny`: the sample encoder's shape; `large`: XLM-R Large's):

  ours      xstilts.modeling.predict_spans.predict_answers: every window of every question,
            sorted by length, dynamic padding, batches of --batch-size, bf16 autocast on CUDA,
            then the answer chosen over each question's windows (n-best, max answer length)
  baseline  one question at a time: its windows in one batch padded to max length, fp32, the
            same answer choice

Both read the same windows (`encode_spans`) and choose answers with the same code, so the
answers agree; the table says whether they do. The model is placed by
`xstilts.modeling.device.to_model_device`, like every checkpoint the evaluate stage loads.

  PYTHONPATH=src python3 bench/qa_throughput.py                    # CPU, tiny model, ~1 min
  PYTHONPATH=src python3 bench/qa_throughput.py --size large       # GPU
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
import torch
from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaModel

from xstilts.config import SpanConfig
from xstilts.examples import SpanExample
from xstilts.modeling.device import to_model_device
from xstilts.modeling.model import HeadInfo, MultiTaskModel
from xstilts.modeling.predict_spans import SpanChoice, best_answer, predict_answers
from xstilts.modeling.span_inputs import EncodedSpans, Windowing, encode_spans

WORDS = ("the", "river", "city", "market", "old", "new", "red", "blue", "people", "walk", "carry",
         "sell", "find", "see", "near", "far")  # fmt: skip
SIZES = {
    "tiny": {"hidden_size": 128, "num_hidden_layers": 4, "num_attention_heads": 4,
             "intermediate_size": 256},
    "large": {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
              "intermediate_size": 4096},
}  # fmt: skip


def questions(n: int, context_words: int, seed: int = 0) -> list[SpanExample]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(context_words // 2, context_words))]
        context = " ".join(words)
        question = " ".join(rng.choice(WORDS) for _ in range(12)) + " ?"
        answer = words[len(words) // 2]
        start = len(" ".join(words[: len(words) // 2])) + 1
        out.append(SpanExample(str(i), "en", context, question, (answer,), (start,)))
    return out


@torch.inference_mode()
def baseline(
    model: MultiTaskModel, encoded: EncodedSpans, pad_id: int, max_length: int, choice: SpanChoice
) -> list:
    device = next(model.parameters()).device
    answers = []
    for example, windows in enumerate(encoded.grouped):
        ids = torch.full((len(windows), max_length), pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, w in enumerate(windows):
            tokens = encoded.ids[encoded.starts[w] : encoded.starts[w + 1]]
            ids[row, : len(tokens)] = torch.from_numpy(tokens.astype(np.int64))
            mask[row, : len(tokens)] = 1
        logits = model("squad", ids.to(device), mask.to(device)).float().cpu().numpy()
        lengths = {w: encoded.lengths()[w] for w in windows}
        per_window = {w: logits[row, : lengths[w]] for row, w in enumerate(windows)}
        answers.append(best_answer(encoded, example, per_window, choice))
    return answers


def timed(fn, device: torch.device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    result = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--questions", type=int, default=600)
    parser.add_argument("--context-words", type=int, default=300)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--doc-stride", type=int, default=SpanConfig().doc_stride)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--tokenizer", default="pretrained")
    args = parser.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    torch.manual_seed(0)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=args.max_length + 2,
        pad_token_id=tokenizer.pad_token_id,
        type_vocab_size=1,
        **SIZES[args.size],
    )
    encoder = XLMRobertaModel(config, add_pooling_layer=False)
    model = to_model_device(MultiTaskModel(encoder, [HeadInfo.for_task("squad")])).eval()
    device = next(model.parameters()).device
    windowing = Windowing(args.max_length, args.doc_stride, SpanConfig().max_query_length)
    encoded = encode_spans(questions(args.questions, args.context_words), tokenizer, windowing)
    choice = SpanChoice.of()
    pad = tokenizer.pad_token_id
    ours_fn = lambda: predict_answers(model, "squad", encoded, pad, choice, args.batch_size)  # noqa: E731
    base_fn = lambda: baseline(model, encoded, pad, args.max_length, choice)  # noqa: E731
    ours_fn()  # warm-up
    ours, ours_s = timed(ours_fn, device)
    base, base_s = timed(base_fn, device)
    same = sum(a.text == b.text for a, b in zip(ours, base, strict=True))
    windows = len(encoded)
    print(f"device: {device}; model: {args.size}; {args.questions} questions, {windows} windows")
    print("| path | seconds | windows/s | questions/s | answers equal to baseline |")
    print("|---|---|---|---|---|")
    print(
        f"| ours | {ours_s:.2f} | {windows / ours_s:.0f} | {args.questions / ours_s:.0f} "
        f"| {same}/{args.questions} |"
    )
    print(
        f"| baseline | {base_s:.2f} | {windows / base_s:.0f} | {args.questions / base_s:.0f} | - |"
    )


if __name__ == "__main__":
    main()
