"""Write the whole sample world (tasks, corpora, lexicons, manifest) to a directory.

Intermediate tasks (QQP, MNLI, RACE, and SQuAD of ``qa``) are English-only; target tasks (XNLI,
PAWS-X, XCOPA, the tagging tasks UD-POS and PAN-X of ``tagging``, the QA tasks XQuAD and TyDiQA
of ``qa``) have English train/validation and a parallel test set per language, rendered from
the same rows so that ids, order and labels agree everywhere. The retrieval sets of
``retrieval`` (Tatoeba- and BUCC-shaped) hold sentences of no pretraining corpus. All files are
UTF-8, NFC, LF-terminated and free of timestamps, so equal configs give byte-identical trees.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from .borrowing import SWITCH_SENTENCES, SWITCH_WORDS
from .corpus import monolingual, parallel
from .neighbours import english_neighbours
from .qa import qa_files
from .retrieval import retrieval_files
from .tagging import tagging_files
from .tasks import TASKS, Row, TaskShape, build_split, hub_row, render_row
from .vocabulary import Vocabulary, bilingual_entries, build_lexicon
from .world_config import SampleWorldConfig

# Intermediate task -> name of its validation split (as on the hub).
INTERMEDIATE = {"qqp": "validation", "mnli": "validation_matched", "race": "validation"}


class _Writer:
    """Writes NFC, LF-terminated UTF-8 files under one root and counts their lines."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, int] = {}

    def lines(self, rel: str, lines: list[str]) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(unicodedata.normalize("NFC", line) + "\n" for line in lines)
        path.write_text(text, encoding="utf-8", newline="\n")
        self.files[rel] = len(lines)

    def rows(
        self, rel: str, spec: TaskShape, rows: list[Row], lexicon: Vocabulary, split: str
    ) -> None:
        rendered = [hub_row(spec, render_row(row, lexicon), i, split) for i, row in enumerate(rows)]
        self.lines(rel, [json.dumps(row, ensure_ascii=False) for row in rendered])


def generate_world(out_dir: str | Path, config: SampleWorldConfig | None = None) -> dict:
    """Generate every file of the world under ``out_dir`` and return the manifest."""
    config = config or SampleWorldConfig()
    seed, size = config.seed, config.corpus_sentences
    fraction = config.cognate_fraction
    lexicons = {lang: build_lexicon(lang, seed, fraction) for lang in config.languages}
    writer = _Writer(Path(out_dir))
    _write_tasks(writer, config, lexicons)
    english = lexicons["en"]
    corpus_lines: set[str] = set()
    for lang, lexicon in lexicons.items():
        donors = [english] if lang != "en" else [x for x in lexicons.values() if x is not english]
        lines = monolingual(lexicon, donors, seed, size)
        writer.lines(f"corpus/{lang}.txt", lines)
        corpus_lines.update(lines)
        if lang != "en":
            pairs = parallel(english, lexicon, seed, config.parallel_pairs)
            writer.lines(f"corpus/parallel/en-{lang}.tsv", pairs)
            corpus_lines.update(pairs)
            entries = bilingual_entries(lexicon)
            writer.lines(f"lexicon/en-{lang}.tsv", [f"{en}\t{xx}" for en, xx in entries])
    for rel, lines in retrieval_files(config, lexicons, corpus_lines).items():
        writer.lines(rel, lines)
    neighbours = json.dumps(english_neighbours(), ensure_ascii=False, indent=1)
    writer.lines("neighbours/en.json", neighbours.splitlines())
    manifest = {
        "name": "xstilts-sample-world",
        "config": config.to_dict(),
        "languages": {lang: _describe(lex) for lang, lex in lexicons.items()},
        "code_switching": {"sentences": SWITCH_SENTENCES, "words": SWITCH_WORDS},
        "files": dict(sorted(writer.files.items())),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (writer.root / "world.json").write_text(text, encoding="utf-8", newline="\n")
    return manifest


def write_world(out_dir: str | Path, config: SampleWorldConfig) -> str:
    """Generate the world into ``out_dir``; returns the one-line summary the CLIs print."""
    manifest = generate_world(out_dir, config)
    lines = sum(manifest["files"].values())
    return f"wrote {len(manifest['files'])} files ({lines} lines) to {out_dir}"


def _describe(lexicon: Vocabulary) -> dict[str, object]:
    lang = lexicon.language
    return {
        "script": lang.script,
        "word_order": lang.word_order,
        "spaced": lang.spaced,
        "adjective_position": "after" if lang.adj_after_noun else "before",
    }


def _write_tasks(
    writer: _Writer, config: SampleWorldConfig, lexicons: dict[str, Vocabulary]
) -> None:
    """Train, dev (and for target tasks a parallel test) split of every task."""
    english = lexicons["en"]
    for name, spec in TASKS.items():
        seen: set[str] = set()  # shared so dev/test never repeat a training row
        sizes = {"train": getattr(config, f"{name}_train"), "dev": config.dev_size}
        if name not in INTERMEDIATE:
            sizes["test"] = config.test_size
        splits = {
            which: build_split(spec, size, f"{config.seed}:task:{name}:{which}", seen, english)
            for which, size in sizes.items()
        }
        if name in INTERMEDIATE:
            dev_name = INTERMEDIATE[name]
            writer.rows(f"tasks/{name}/train.jsonl", spec, splits["train"], english, "train")
            writer.rows(f"tasks/{name}/{dev_name}.jsonl", spec, splits["dev"], english, dev_name)
            continue
        writer.rows(f"tasks/{name}/en/train.jsonl", spec, splits["train"], english, "train")
        writer.rows(f"tasks/{name}/en/validation.jsonl", spec, splits["dev"], english, "validation")
        for lang, lexicon in lexicons.items():
            writer.rows(f"tasks/{name}/{lang}/test.jsonl", spec, splits["test"], lexicon, "test")
    for rel, lines in tagging_files(config, lexicons).items():
        writer.lines(rel, lines)
    for rel, lines in qa_files(config, lexicons).items():
        writer.lines(rel, lines)
