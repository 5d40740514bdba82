"""The tracked pretrained encoder (`pretrained/`): what it records, and the checks before use.

Its `meta.json` records the settings it was made with (params.yaml's `base.tokenizer`,
`base.architecture` and `base.pretrain`), the digest of the corpus it read and the sha256 of
every other file. The `base` stage refuses an encoder whose files, settings or corpus differ
from those, with one line that says what to do, and `xstilts pretrain --check` compares a
regeneration with it. Nothing here trains, so the `base` stage does not depend on `training/`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from safetensors.torch import load_file

from xstilts.config import BaseConfig
from xstilts.errors import XstiltsError
from xstilts.io import read_json, write_json

META = "meta.json"
SETTINGS = ("tokenizer", "architecture", "pretrain")
REGENERATE = "regenerate it with `make pretrained`"
PULL_HINT = f"run `dvc pull pretrained.dvc`, or {REGENERATE}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digests(root: Path, skip: tuple[str, ...] = (META,)) -> dict[str, str]:
    """sha256 of every file under `root` but `skip`, by relative path, sorted."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {
        rel: sha256_file(path)
        for path in files
        if (rel := path.relative_to(root).as_posix()) not in skip
    }


def tree_digest(root: Path) -> str:
    """One sha256 for a whole folder: its files' paths and digests, meta.json included."""
    lines = "".join(f"{rel} {sha}\n" for rel, sha in file_digests(root, skip=()).items())
    return hashlib.sha256(lines.encode()).hexdigest()


def weight_fingerprint(weights: Path) -> dict[str, list[float]]:
    """Sum and sum of squares of every tensor of a safetensors file: a digest that survives
    the last-bit float differences between CPU kinds, for the check that CI repeats."""
    tensors = load_file(weights)
    return {
        name: [float(t.double().sum()), float(t.double().square().sum())]
        for name, t in sorted(tensors.items())
    }


def corpus_digest(corpus_dir: Path) -> str:
    return tree_digest(corpus_dir)


def recorded_settings(config: BaseConfig) -> dict[str, Any]:
    """The `base` settings that decide the encoder's bytes, as meta.json records them."""
    return {name: getattr(config, name).model_dump(mode="json") for name in SETTINGS}


def read_pretrained(root: Path) -> dict[str, Any]:
    """The encoder's meta.json; one line with the way to get it when it is missing."""
    meta = root / META
    if not meta.is_file():
        raise XstiltsError(f"the pretrained sample encoder {root}/ is missing: {PULL_HINT}")
    try:
        return read_json(meta)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise XstiltsError(f"{meta} is not valid JSON: {PULL_HINT}") from None


def verify(root: Path, config: BaseConfig, corpus_dir: Path) -> dict[str, Any]:
    """The recorded meta of an intact encoder made with these settings from this corpus."""
    meta = read_pretrained(root)
    _check_files(root, meta.get("files", {}))
    _check_settings(root, meta.get("settings", {}), recorded_settings(config))
    corpus = corpus_digest(corpus_dir)
    if meta.get("corpus_sha256") != corpus:
        raise XstiltsError(
            f"{corpus_dir}/ is not the corpus {root}/ was pretrained on (sha256 {corpus}, "
            f"recorded {meta.get('corpus_sha256')}): {REGENERATE}"
        )
    return meta


def install(root: Path, config: BaseConfig, corpus_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Copy a verified encoder into `out_dir` (the `base` stage's output); returns its meta."""
    meta = verify(root, config, corpus_dir)
    for rel in meta["files"]:
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, out_dir / rel)
    installed = {"stage": "base", "source": "pretrain", "pretrained": str(root), **meta}
    installed.pop("files")
    write_json(out_dir / META, installed)
    return installed


def compare(tracked: Path, regenerated: Path) -> str:
    """One line saying the regeneration reproduces the tracked encoder; raises naming both
    digests and the files that differ when it does not."""
    want, got = tree_digest(tracked), tree_digest(regenerated)
    if want != got:
        old, new = file_digests(tracked, skip=()), file_digests(regenerated, skip=())
        differ = sorted(rel for rel in old.keys() | new.keys() if old.get(rel) != new.get(rel))
        raise XstiltsError(
            f"the regenerated encoder (sha256 {got}) differs from the tracked {tracked}/ "
            f"(sha256 {want}) in {', '.join(differ)}"
        )
    return f"regenerated encoder is byte-identical to {tracked}/ (sha256 {want})"


def _check_files(root: Path, recorded: dict[str, str]) -> None:
    for rel, sha in recorded.items():
        path = root / rel
        got = sha256_file(path) if path.is_file() else "missing"
        if got != sha:
            raise XstiltsError(
                f"{path} is damaged (sha256 {got}, recorded {sha}): "
                f"run `dvc pull --force pretrained.dvc`, or {REGENERATE}"
            )
    if not recorded:
        raise XstiltsError(f"{root}/{META} records no files: {PULL_HINT}")


def _check_settings(root: Path, recorded: dict[str, Any], current: dict[str, Any]) -> None:
    was_set = _flatten(recorded)
    for key, value in _flatten(current).items():
        was = was_set.get(key, "absent")
        if was != value:
            raise XstiltsError(
                f"params.yaml's base.{key} is {value!r} but {root}/ was pretrained with "
                f"{was!r}: {REGENERATE}, or restore the setting"
            )


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
