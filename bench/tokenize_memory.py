"""Peak resident memory and time of tokenizing a RACE-sized multiple-choice split.

A synthetic split of --examples examples (default 350,000), each a context of --words words, a
question and --choices choices (~450 tokens per choice sequence with the default tokenizer), is
written as the prepare stage writes it (`<prepared>/race/train.en.jsonl`), then tokenized at
--max-length 512 by each path in a fresh process (so that each process's peak RSS is its own):

  chunked   the training stages' path: `encode(iter_split(...))`, as `task_objective` calls it
            (examples streamed from the JSONL, 256 per tokenizer call, ids kept as int32)
  one-call  the previous path, kept here for comparison: the whole split read into a list and
            tokenized in one call into Python lists

The tokenizer is a SentencePiece Unigram one trained on the synthetic text (--vocab pieces;
`--tokenizer DIR` loads a saved one instead, e.g. a snapshot of xlm-roberta-large). Peak RSS is
`ru_maxrss`; "over start" subtracts the RSS after imports and loading the tokenizer.

  PYTHONPATH=src python3 bench/tokenize_memory.py                                # full size
  PYTHONPATH=src python3 bench/tokenize_memory.py --examples 2000 --paths chunked,one-call
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from transformers import AutoTokenizer

from xstilts.data.prepared import iter_split, read_split
from xstilts.examples import ChoiceExample, example_to_dict
from xstilts.io import write_jsonl
from xstilts.modeling.encoding import encode
from xstilts.modeling.tokenizer import train_tokenizer

GIB = 1024**3
WORDS = 8000  # distinct words in the synthetic text


def peak_rss() -> int:
    """This process's peak resident set size in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize()


def synthetic_examples(count: int, words: int, choices: int, seed: int = 0):
    """RACE-like examples: a long context of random words, a question, short choices."""
    rng = random.Random(seed)
    vocabulary = [f"w{rng.randrange(10**6):x}" for _ in range(WORDS)]
    for index in range(count):
        text = " ".join(rng.choices(vocabulary, k=words))
        options = tuple(" ".join(rng.choices(vocabulary, k=4)) for _ in range(choices))
        question = " ".join(rng.choices(vocabulary, k=8)) + " ?"
        yield ChoiceExample(f"ex{index}", "en", text, question, options, rng.randrange(choices))


def prepare(work: Path, args: argparse.Namespace) -> Path:
    """Write the split and the tokenizer once; return the tokenizer's directory."""
    examples = synthetic_examples(args.examples, args.words, args.choices)
    write_jsonl(work / "race" / "train.en.jsonl", (example_to_dict(e) for e in examples))
    tokenizer_dir = Path(args.tokenizer) if args.tokenizer else work / "tokenizer"
    if not args.tokenizer:
        sample = synthetic_examples(500, args.words, args.choices, seed=1)
        train_tokenizer((e.context for e in sample), args.vocab).save_pretrained(tokenizer_dir)
    return tokenizer_dir


def measure(path: str, work: Path, tokenizer_dir: Path, max_length: int) -> dict:
    """Run in a fresh process: tokenize the split by `path`, report memory and time."""
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    start_rss = current_rss()
    start = time.perf_counter()
    if path == "chunked":
        encoded = encode(iter_split(work, "race", "train"), tokenizer, max_length)
        tokens = len(encoded.ids)
    else:
        encoded = one_call(read_split(work, "race", "train"), tokenizer, max_length)
        tokens = sum(len(s) for f in encoded for s in f["input_ids"])
    seconds = time.perf_counter() - start
    return {
        "path": path,
        "examples": len(encoded),
        "tokens": tokens,
        "seconds": seconds,
        "peak": peak_rss(),
        "start": start_rss,
        "end": current_rss(),
    }


def one_call(examples: list[ChoiceExample], tokenizer, max_length: int) -> list[dict]:
    """The previous encoding of multiple choice: one tokenizer call, Python lists."""
    firsts, seconds, sizes = [], [], []
    for e in examples:
        firsts += [e.context] * len(e.choices)
        seconds += [f"{e.question} {c}" if e.question else c for c in e.choices]
        sizes.append(len(e.choices))
    flat = tokenizer(firsts, seconds, truncation="only_first", max_length=max_length)["input_ids"]
    grouped, start = [], 0
    for size in sizes:
        grouped.append(flat[start : start + size])
        start += size
    return [{"input_ids": g, "label": e.label} for g, e in zip(grouped, examples, strict=True)]


def row(result: dict) -> str:
    over = result["peak"] - result["start"]
    return (
        f"| {result['path']} | {result['examples']:,} | {result['tokens'] / 1e6:.1f}M "
        f"| {result['peak'] / GIB:.2f} | {over / GIB:.2f} | {over / result['tokens']:.1f} "
        f"| {(result['end'] - result['start']) / result['tokens']:.1f} "
        f"| {result['seconds']:.0f} | {result['tokens'] / result['seconds'] / 1e3:.0f}k |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=350_000)
    parser.add_argument("--choices", type=int, default=4)
    parser.add_argument("--words", type=int, default=88, help="context words (~4.5 tokens each)")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--tokenizer", help="a saved tokenizer directory (default: train one)")
    parser.add_argument("--paths", default="chunked", help="comma-separated: chunked,one-call")
    parser.add_argument("--workdir", help="where the split is written (default: a temp dir)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one fresh process
    args = parser.parse_args()
    if args.measure:
        result = measure(args.measure, Path(args.workdir), Path(args.tokenizer), args.max_length)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        tokenizer_dir = prepare(Path(work), args)
        print(
            "| path | examples | tokens | peak RSS (GiB) | over start (GiB) "
            "| bytes/token at peak | bytes/token kept | seconds | tokens/s |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for path in args.paths.split(","):
            command = [sys.executable, __file__, "--measure", path, "--workdir", work]
            command += ["--tokenizer", str(tokenizer_dir), "--max-length", str(args.max_length)]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            print(row(json.loads(output.splitlines()[-1])), flush=True)


if __name__ == "__main__":
    main()
