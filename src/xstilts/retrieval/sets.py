"""The retrieval sets a run evaluates, read from their sources once (the `retrieval_sets` stage)
and written where every condition's `retrieve` stage reads them.

Sources: in the sample profile, the sample world's Tatoeba- and BUCC-shaped files
(`data/retrieval/`); in the full profile, Tatoeba from `mteb/tatoeba-bitext-mining` at a pinned
revision (the LASER test sets XTREME scores, one row per pair), in XTREME-R's 41 languages.
BUCC 2018 has no verified source in the full profile (params validation says why).

Layout under the output folder: `tatoeba.<lang>.jsonl`, one row per pair (`id`: the pair's
row, `text`: the language's sentence, `english`: its translation; empty sentences kept, for
the evaluators to count), and `bucc.<lang>.json` (`dev` and `test`: `source` and `target` as
[id, sentence] rows, `gold` as [source id, target id] pairs), plus `summary.json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.config import Params
from xstilts.data.hub import hub_rows
from xstilts.data.sources import sample_rows
from xstilts.errors import XstiltsError
from xstilts.io import atomic_dir, dumps, read_json, read_jsonl, write_jsonl
from xstilts.retrieval.bucc import MiningSplit
from xstilts.retrieval.sources import (
    BUCC_SPLITS,
    PIVOT,
    TATOEBA_SOURCE,
    Parallel,
    bucc_folder,
    read_bucc_split,
    tatoeba_pairs,
)

SAMPLE_TATOEBA = Path("retrieval/tatoeba/test.jsonl")  # under data.root
# XTREME-R's Tatoeba languages (google-research/xtreme, evaluate.py, XTREME_R_TASK2LANGS)
XTREME_R_TATOEBA = (
    "ar", "he", "vi", "id", "jv", "tl", "eu", "ml", "ta", "te", "af", "nl", "de", "el", "bn",
    "hi", "mr", "ur", "fa", "fr", "it", "pt", "es", "bg", "ru", "ja", "ka", "ko", "th", "sw",
    "zh", "kk", "tr", "et", "fi", "hu", "az", "lt", "pl", "uk", "ro",
)  # fmt: skip
BUCC_LANGUAGES = ("de", "fr", "ru", "zh")  # BUCC 2018's, as XTREME scores them
SUMMARY = "summary.json"


def retrieval_languages(params: Params, task: str) -> tuple[str, ...]:
    """The languages `task` retrieves in (English is every pair's other side): the sample
    world's, or the benchmark's; `data.languages`, when set, keeps only those it names."""
    if params.profile == "sample":
        pool = tuple(lang for lang in params.sample_world.languages if lang != PIVOT)
    else:
        pool = XTREME_R_TATOEBA if task == "tatoeba" else BUCC_LANGUAGES
    chosen = params.data.languages
    return tuple(lang for lang in pool if chosen is None or lang in chosen)


def tatoeba_file(lang: str) -> str:
    return f"tatoeba.{lang}.jsonl"


def bucc_file(lang: str) -> str:
    return f"bucc.{lang}.json"


def write_sets(params: Params, out_dir: Path, data_root: Path) -> dict[str, Any]:
    """Every set `retrieval.tasks` names, in every language; returns the summary."""
    summary: dict[str, Any] = {}
    with atomic_dir(out_dir) as tmp:
        if "tatoeba" in params.retrieval.tasks:
            languages = retrieval_languages(params, "tatoeba")
            where, rows = _tatoeba_rows(params, data_root)
            for lang, pairs in tatoeba_pairs(rows, languages).items():
                write_jsonl(tmp / tatoeba_file(lang), _tatoeba_records(pairs, lang))
                summary[tatoeba_file(lang)] = {"source": where, "pairs": len(pairs[PIVOT])}
        if "bucc" in params.retrieval.tasks:
            root = data_root / "retrieval"
            for lang in retrieval_languages(params, "bucc"):
                splits = {name: read_bucc_split(root, lang, name) for name in BUCC_SPLITS}
                (tmp / bucc_file(lang)).write_text(
                    dumps({name: _split_record(split) for name, split in splits.items()}),
                    encoding="utf-8",
                )
                summary[bucc_file(lang)] = {
                    "source": str(bucc_folder(root, lang)),
                    **{f"{name}_gold": len(split.gold) for name, split in splits.items()},
                }
        (tmp / SUMMARY).write_text(dumps(summary), encoding="utf-8")
    return summary


def _tatoeba_rows(params: Params, data_root: Path) -> tuple[str, Any]:
    if params.profile == "sample":
        path = data_root / SAMPLE_TATOEBA
        return str(path), sample_rows(path)
    return TATOEBA_SOURCE.describe(), hub_rows(TATOEBA_SOURCE)


def _tatoeba_records(pairs: Parallel, lang: str) -> list[dict[str, str]]:
    return [
        {"id": str(row), "text": text, "english": english}
        for row, (text, english) in enumerate(zip(pairs[lang], pairs[PIVOT], strict=True))
    ]


def _split_record(split: MiningSplit) -> dict[str, list]:
    return {
        "source": [list(row) for row in split.source],
        "target": [list(row) for row in split.target],
        "gold": sorted(list(pair) for pair in split.gold),
    }


def read_tatoeba(sets_dir: Path, lang: str) -> Parallel:
    """One language's pairs as `tatoeba_pairs` gives them: {"en": [...], lang: [...]}."""
    rows = read_jsonl(_existing(sets_dir / tatoeba_file(lang)))
    return {PIVOT: [r["english"] for r in rows], lang: [r["text"] for r in rows]}


def read_bucc(sets_dir: Path, lang: str) -> dict[str, MiningSplit]:
    """One language's dev and test splits."""
    raw = read_json(_existing(sets_dir / bucc_file(lang)))
    return {
        name: MiningSplit(
            source=[tuple(row) for row in split["source"]],
            target=[tuple(row) for row in split["target"]],
            gold={tuple(pair) for pair in split["gold"]},
        )
        for name, split in raw.items()
    }


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise XstiltsError(f"{path} is missing; run `dvc repro retrieval_sets`")
    return path
