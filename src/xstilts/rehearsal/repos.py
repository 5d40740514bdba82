"""The stand-in hub's repositories, written to disk: every dataset the task specs pin, at its
pinned revision, the pinned base model, and MUSE's dictionaries.

Dataset repositories follow the hub's native-Parquet layout, derived from the task specs (so a
new task or a changed pin is served without edits here): `{config}/{split}-00000-of-00001.parquet`
plus a README whose YAML `configs:` maps each config name to its files, as `push_to_hub` writes
them; a spec without a config reads the repository's only config (`plain_text` for ANLI, as on
the hub, else `default` under `data/`). The two repositories pinned at their
`refs/convert/parquet` commit (Cosmos QA, Social IQa) have that branch's layout instead:
`default/{split}/0000.parquet` and no README, so datasets infers the splits from the paths.
Parquet files carry the features (ClassLabel names included) in their schema metadata; a tag
column (UD-POS `pos_tags`, WikiANN `ner_tags`) is a list of ClassLabel, as on those cards.
Sources with no pinned revision (google/xtreme's UD-POS) are not served: there is no commit to
serve them at, and the full profile refuses them before any stage runs. Tatoeba's repository
(the retrieval sets') holds `count` pairs of every XTREME-R language in its one `test` split.

The model repository holds what `save_pretrained` writes for a tiny XLM-R-architecture masked
LM (safetensors) and its XLM-R tokenizer, trained on the served rows' text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.data.mlm_corpus import WIKIPEDIA
from xstilts.rehearsal.rows import (
    CARD_LABEL_NAMES,
    HUB_ROWS,
    LOCALIZED_FIELDS,
    english_words,
    pseudo_word,
    served_rows,
    source_key,
    tatoeba_rows,
)
from xstilts.retrieval.sources import TATOEBA_SOURCE
from xstilts.tasks import all_tasks
from xstilts.tasks.spec import HubSource

ONLY_CONFIG = {"facebook/anli": "plain_text"}  # a spec's config None reads this one
CONVERTED = {"allenai/cosmos_qa", "allenai/social_i_qa"}  # pinned at refs/convert/parquet
MUSE_LACKS = ("ht", "qu", "sw", "ur")  # MUSE has no en-xx dictionary for these
# a second commit of Social IQa, as its main branch is on the hub: a loading script, no data
# files (the bad-input probes load it; no task pins it)
SCRIPT_ONLY_REPO = "allenai/social_i_qa"
SCRIPT_ONLY_REVISION = "5c5b5e4ea0b11e56d6e1e4b9f0e7f1bd2c6c1a10"


@dataclass(frozen=True)
class StandInSizes:
    """How much the stand-in serves: rows per split, the tiny model's shape."""

    train_rows: int
    dev_rows: int
    test_rows: int
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int

    def rows_for(self, split: str) -> int:
        if split.startswith("train"):
            return self.train_rows
        return self.test_rows if split.startswith("test") else self.dev_rows


def hub_sources() -> list[HubSource]:
    """Every (dataset, config, split, revision) a task spec can load, in every language, and
    Wikipedia in every language of a target (`data.mlm_corpus`).

    Sources whose revision is None are skipped: with no pinned commit there is no revision to
    serve them at, and a full run (the rehearsal included) refuses a task that reads one
    (`Params` validation), so nothing would ask for them."""
    sources = set()
    for spec in all_tasks().values():
        for split in spec.splits.values():
            for part in split.hub_parts:
                if part.revision is not None:
                    sources.update(part.for_lang(lang) for lang in spec.languages)
        cross = spec.cross_language_test
        if cross is not None and cross.revision is not None:  # MLQA's G-XLT pairs
            sources.update(
                spec.cross_source(q).hub_parts[0].for_lang(c)
                for c in spec.languages
                for q in spec.languages
                if c != q
            )
        if spec.role == "target":  # the masked-LM corpus of a condition that lists `mlm`
            sources.update(WIKIPEDIA.for_lang(lang) for lang in spec.languages)
    sources.add(TATOEBA_SOURCE)  # the retrieval sets' (`xstilts.retrieval.sets`)
    return sorted(sources, key=lambda s: (s.path, s.config or "", s.split))


def card_label_fields() -> dict[str, str]:
    """HUB_ROWS key -> the column whose ClassLabel names CARD_LABEL_NAMES lists, as the task
    specs name it (`HubSource.label_field`), for every source a spec reads, pinned or not: the
    specs say which column they check, so the writers cast that one."""
    return {
        source_key(part.path, part.config): part.label_field
        for spec in all_tasks().values()
        for split in spec.splits.values()
        for part in split.hub_parts
    }


def with_class_labels(dataset: Any, column: str, names: list[str]) -> Any:
    """`dataset` with `column` typed as the card types it: a ClassLabel, or, for a tag column
    (a list per row), a list of ClassLabel. Values are kept as they are, out-of-range ones
    included (a test's bad rows reach the loader). A dataset without the column (a test's
    missing-field rows) is returned as it is."""
    import datasets

    if column not in dataset.column_names:
        return dataset
    label = datasets.ClassLabel(names=names)
    if isinstance(dataset.features[column], datasets.List):
        return dataset.cast_column(column, datasets.List(label))
    return dataset.cast_column(column, label)


def source_languages(source: HubSource) -> tuple[str, str | None]:
    """(language of the rows, language of their questions where it differs): a cross-language
    QA config (`MLQA.<context>.<question>`) has both; any other source one."""
    parts = (source.config or "").split(".")
    if len(parts) == 3 and parts[1] != parts[2]:
        return parts[1], parts[2]
    return source_language(source), None


def source_language(source: HubSource) -> str:
    """The language of a source's rows: its config where the config is a language code (XNLI,
    WikiANN), the code whose name ends a named config (google/xtreme's `udpos.German`), the
    code whose name begins the rows' ids (TyDiQA's `arabic-`)."""
    if source.id_prefix:  # TyDiQA: `arabic-...` ids hold the language
        return {name: code for code, name in source.config_names}[source.id_prefix[:-1]]
    if not source.config:
        return "en"
    last = source.config.rsplit(".", 1)[-1]
    return {name: code for code, name in source.config_names}.get(last, last)


def data_file(source: HubSource) -> str:
    """Where a split's Parquet file lives in its repository."""
    if source.path in CONVERTED:
        return f"default/{source.split}/0000.parquet"
    folder = source.config or ONLY_CONFIG.get(source.path, "data")
    return f"{folder}/{source.split}-00000-of-00001.parquet"


def write_parquet(sources: list[HubSource], count: int, target: Path) -> list[dict[str, Any]]:
    """`count` rows of the sources' schema (one file), with its ClassLabel where the card
    declares one (on the spec's `label_field`: `label`, or a tag column as a list of
    ClassLabel). Sources that share a file and differ in their rows' id prefix (TyDiQA's
    languages in one table) get `count` rows each, ids prefixed."""
    import datasets

    source = sources[0]
    key = source_key(source.path, source.config)
    if source == TATOEBA_SOURCE:  # every language's pairs in one split
        rows = tatoeba_rows(count)
    else:
        rows = []
        for part in sources:
            language, question = source_languages(part) if key in LOCALIZED_FIELDS else ("en", None)
            served = served_rows(key, count, language, question)
            for row in served if part.id_prefix else ():
                row["id"] = f"{part.id_prefix}{row['id']}"
            rows += served
    dataset = datasets.Dataset.from_list(rows)
    if key in CARD_LABEL_NAMES:
        dataset = with_class_labels(dataset, source.label_field, CARD_LABEL_NAMES[key])
    target.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(target))
    return rows


def readme(sources: list[HubSource]) -> str:
    """A dataset card whose YAML maps each config to its split files, as the hub's do."""
    configs: dict[str, list[dict[str, str]]] = defaultdict(list)
    for source in sources:
        name = source.config or ONLY_CONFIG.get(source.path, "default")
        path = data_file(source).replace("-00000-of-00001.parquet", "-*")
        if {"split": source.split, "path": path} not in configs[name]:  # TyDiQA's languages
            configs[name].append({"split": source.split, "path": path})
    header = [{"config_name": name, "data_files": files} for name, files in configs.items()]
    front = json.dumps({"configs": header}, indent=1)  # JSON is YAML
    return f"---\n{front}\n---\n\n# {sources[0].path}\n\nServed by the rehearsal's stand-in hub.\n"


def write_datasets(root: Path, sizes: StandInSizes) -> list[dict[str, Any]]:
    """Every pinned dataset repository under `root/datasets`; returns all rows written."""
    by_repo: dict[tuple[str, str], list[HubSource]] = defaultdict(list)
    for source in hub_sources():
        assert source.revision is not None  # hub_sources skips unpinned ones
        by_repo[(source.path, source.revision)].append(source)
    written = []
    for (path, revision), sources in by_repo.items():
        base = root / "datasets" / path / revision
        by_file: dict[str, list[HubSource]] = defaultdict(list)
        for source in sources:
            by_file[data_file(source)].append(source)
        for file, parts in by_file.items():
            written += write_parquet(parts, sizes.rows_for(parts[0].split), base / file)
        if path not in CONVERTED:
            (base / "README.md").write_text(readme(sources), encoding="utf-8")
        (base / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    write_script_only(root / "datasets" / SCRIPT_ONLY_REPO / SCRIPT_ONLY_REVISION)
    return written


def write_script_only(base: Path) -> None:
    """A script-era dataset revision: `{name}.py` and a card, nothing datasets can load."""
    base.mkdir(parents=True, exist_ok=True)
    name = base.parent.name
    (base / f"{name}.py").write_text("import datasets\n", encoding="utf-8")
    (base / "README.md").write_text(f"# {name}\n", encoding="utf-8")


def texts(value: Any) -> list[str]:
    """Every string inside a row (the tokenizer's training text)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


def write_model(root: Path, repo: str, revision: str, rows: list, sizes: StandInSizes) -> None:
    """A tiny XLM-R masked LM and its tokenizer, saved as the pinned model repository."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

    from xstilts.modeling.tokenizer import train_tokenizer

    tokenizer = train_tokenizer(sorted(set(texts(rows))), sizes.vocab_size)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=sizes.hidden_size,
        num_hidden_layers=sizes.num_hidden_layers,
        num_attention_heads=sizes.num_attention_heads,
        intermediate_size=sizes.intermediate_size,
        max_position_embeddings=sizes.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        type_vocab_size=1,
    )
    torch.manual_seed(0)
    out = root / "models" / repo / revision
    XLMRobertaForMaskedLM(config).save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def write_muse(root: Path, languages: list[str]) -> list[str]:
    """MUSE-shaped en-xx dictionaries ("english translation" a line) for every language MUSE
    has one for, listing the stand-in translations of the target tasks' English words;
    returns the languages left without (their URLs answer 404)."""
    words = sorted(
        {
            word.lower()
            for key, names in LOCALIZED_FIELDS.items()
            for row in HUB_ROWS[key]
            for name in names
            for word in english_words(row[name])
        }
    )
    (root / "muse").mkdir(parents=True, exist_ok=True)
    for language in languages:
        if language in MUSE_LACKS:
            continue
        lines = [f"{word} {pseudo_word(word, language)}\n" for word in words]
        (root / "muse" / f"en-{language}.txt").write_text("".join(lines), encoding="utf-8")
    return [lang for lang in languages if lang in MUSE_LACKS]


def write_stand_in(
    root: Path, sizes: StandInSizes, model: tuple[str, str], muse_languages: list[str]
) -> list[str]:
    """Everything the stand-in serves; returns the languages MUSE is made to lack."""
    import datasets

    datasets.disable_progress_bars()
    rows = write_datasets(root, sizes)
    write_model(root, *model, rows, sizes)
    return write_muse(root, muse_languages)
