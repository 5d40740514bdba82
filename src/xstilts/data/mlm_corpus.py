"""The multilingual masked-LM corpus of the conditions that list `mlm` (continuing multilingual
MLM during intermediate training, as Phang et al. 2020 compare it with plain intermediate
training).

Languages: every language the run evaluates a target in (`prepared.target_languages`), so the
encoder keeps reading exactly the languages it is tested on. Each language gives its first
`data.mlm_corpus.train_lines` lines, then `dev_lines` more, in the source's own order:
- sample profile: the sample world's monolingual corpus (`data/corpus/<lang>.txt`, the text the
  base model was pretrained on, as XLM-R's own continued pretraining would read CC-100);
- full profile: Wikipedia (`wikimedia/wikipedia`, the 2023-11-01 dump, config `20231101.<lang>`,
  at a pinned commit), streamed article by article; each article's text is split at line breaks
  and a line counts when it holds at least `MIN_LINE_CHARS` characters (section headings and
  list stubs do not). Which corpus Phang et al. used is not stated in what this artifact could
  check; Wikipedia is this artifact's choice (REPRODUCE.md).

Written by the prepare stage as `<prepared>/mlm/<split>.<lang>.jsonl`, records `{id, lang, text}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from xstilts.config import MLM_TASK, Params
from xstilts.data.hub import hub_stream
from xstilts.data.sources import PULL_HINT
from xstilts.errors import XstiltsError
from xstilts.io import iter_jsonl, write_jsonl
from xstilts.tasks.spec import HubSource

# wikimedia/wikipedia at the commit that public projects pin for its 20231101 configs (one
# Parquet folder per language); unverified from here, like the other pins so marked in
# tasks/revisions.py
WIKIPEDIA_REVISION = "b04c8d1ceb2f5cd4588862100d08de323dccfbaa"
WIKIPEDIA = HubSource("wikimedia/wikipedia", "20231101.{lang}", "train", WIKIPEDIA_REVISION)
MIN_LINE_CHARS = 20
# what `xstilts plan` assumes a Wikipedia line costs: about a paragraph (no measurement from
# here; the recipe's max_length cuts longer ones)
WIKIPEDIA_LINE_TOKENS = 128


def corpus_languages(params: Params) -> tuple[str, ...]:
    """Every language the run evaluates a target in, in first-seen order."""
    from xstilts.data.prepared import target_languages

    seen: dict[str, None] = {}
    for target in params.targets:
        seen.update(dict.fromkeys(target_languages(params, target)))
    return tuple(seen)


def sample_corpus_file(data_root: Path, lang: str) -> Path:
    return data_root / "corpus" / f"{lang}.txt"


def sample_lines(data_root: Path, lang: str) -> Iterator[str]:
    path = sample_corpus_file(data_root, lang)
    if not path.is_file():
        raise XstiltsError(f"sample corpus file {path} is missing; {PULL_HINT}")
    with path.open(encoding="utf-8") as lines:
        yield from (line.strip() for line in lines if line.strip())


def article_lines(text: str) -> Iterator[str]:
    """The lines of one Wikipedia article that are text rather than headings."""
    for line in text.split("\n"):
        line = line.strip()
        if len(line) >= MIN_LINE_CHARS:
            yield line


def wikipedia_lines(lang: str) -> Iterator[str]:
    source = WIKIPEDIA.for_lang(lang)
    for row in hub_stream(source):
        text = row.get("text")
        if not isinstance(text, str):
            raise XstiltsError(f"dataset {source.describe()}: a row without a `text` field")
        yield from article_lines(text)


def corpus_lines(params: Params, lang: str, data_root: Path) -> Iterator[str]:
    if params.profile == "sample":
        return sample_lines(data_root, lang)
    return wikipedia_lines(lang)


def source_description(params: Params, lang: str, data_root: Path) -> str:
    if params.profile == "sample":
        return str(sample_corpus_file(data_root, lang))
    return WIKIPEDIA.for_lang(lang).describe()


def split_file(prepared: Path, split: str, lang: str) -> Path:
    return prepared / MLM_TASK / f"{split}.{lang}.jsonl"


def write_corpus(params: Params, out_dir: Path, data_root: Path) -> dict[str, dict]:
    """Write every language's train and dev lines; the summary entry of each file. Reading
    stops at the lines needed (a stream is never read further)."""
    sizes = params.data.mlm_corpus
    wanted = {"train": sizes.train_lines, "dev": sizes.dev_lines}
    needed = sum(wanted.values())
    (out_dir / MLM_TASK).mkdir(exist_ok=True)
    summary = {}
    for lang in corpus_languages(params):
        where = source_description(params, lang, data_root)
        lines = list(islice(corpus_lines(params, lang, data_root), needed))
        if len(lines) < needed:
            raise XstiltsError(
                f"{MLM_TASK} corpus: {where} has {len(lines)} lines, fewer than the "
                f"{wanted['train']} + {wanted['dev']} that data.mlm_corpus asks for"
            )
        parts = {"train": lines[: wanted["train"]], "dev": lines[wanted["train"] :]}
        for split, texts in parts.items():
            path = split_file(out_dir, split, lang)
            write_jsonl(
                path,
                (
                    {"id": f"{lang}-{split}-{i}", "lang": lang, "text": t}
                    for i, t in enumerate(texts)
                ),
            )
            summary[f"{MLM_TASK}/{path.name}"] = {"source": where, "lines": len(texts)}
    return summary


def read_corpus(prepared: Path, split: str, languages: tuple[str, ...]) -> list[str]:
    """The split's lines, language after language."""
    texts = []
    for lang in languages:
        path = split_file(prepared, split, lang)
        if not path.exists():
            raise XstiltsError(f"{path} is missing; run the prepare stage (`dvc repro prepare`)")
        texts += [record["text"] for record in iter_jsonl(path)]
    return texts


def prepared_languages(prepared: Path) -> tuple[str, ...]:
    """The languages whose lines the prepare stage wrote (read from its files, so a training
    stage needs no params of its own to find them)."""
    files = (prepared / MLM_TASK).glob("train.*.jsonl")
    return tuple(sorted(path.name.split(".")[1] for path in files))
