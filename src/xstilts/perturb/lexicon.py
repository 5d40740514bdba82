"""Bilingual English-pivot lexicons for code-switching: reading them, and fetching MUSE's.

A lexicon file `en-xx.tsv` (the sample world's) or `en-xx.txt` (MUSE's bilingual dictionaries,
Conneau et al. 2018) holds one "english<TAB or space>translation" pair a line; a word may have
several translations. The full profile downloads MUSE's files once into a cache directory that
DVC versions like any other data; the sample profile ships its lexicons in `data/lexicon`.
"""

from __future__ import annotations

import functools
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xstilts.perturb.errors import LexiconError

MUSE_URL = "https://dl.fbaipublicfiles.com/arrival/dictionaries/en-{language}.txt"
DOWNLOAD_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Lexicon:
    """Translations between English and one language, both ways, lower-cased keys."""

    language: str
    from_english: dict[str, tuple[str, ...]] = field(default_factory=dict)
    to_english: dict[str, tuple[str, ...]] = field(default_factory=dict)


def parse_lexicon(language: str, lines: Iterable[str]) -> Lexicon:
    from_english: dict[str, dict[str, None]] = {}
    to_english: dict[str, dict[str, None]] = {}
    for line in lines:
        parts = line.strip().split("\t") if "\t" in line else line.strip().split(maxsplit=1)
        if len(parts) != 2 or not all(p.strip() for p in parts):
            continue
        english, other = (p.strip() for p in parts)
        from_english.setdefault(english.lower(), {})[other] = None
        to_english.setdefault(other.lower(), {})[english] = None
    return Lexicon(
        language,
        {k: tuple(v) for k, v in from_english.items()},
        {k: tuple(v) for k, v in to_english.items()},
    )


def lexicon_path(directory: Path, language: str) -> Path | None:
    for suffix in (".tsv", ".txt"):
        path = directory / f"en-{language}{suffix}"
        if path.is_file():
            return path
    return None


def load_lexicon(directory: Path, language: str) -> Lexicon | None:
    """The en-`language` lexicon in `directory`, or None if it has none."""
    path = lexicon_path(directory, language)
    if path is None:
        return None
    return _read(str(path), path.stat().st_mtime_ns, language)


@functools.lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int, language: str) -> Lexicon:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LexiconError(f"cannot read lexicon {path}: {error}") from None
    return parse_lexicon(language, text.splitlines())


def lexicon_languages(directory: Path) -> tuple[str, ...]:
    names = [*directory.glob("en-*.tsv"), *directory.glob("en-*.txt")]
    return tuple(sorted({p.stem.removeprefix("en-") for p in names}))


def fetch_muse(
    languages: Iterable[str], cache_dir: Path, timeout: float = DOWNLOAD_TIMEOUT_S
) -> Path:
    """Download MUSE's en-xx dictionaries into `cache_dir` (kept if already there); returns it.

    Each file is written to a temporary name and renamed, so an interrupted download never leaves
    a truncated dictionary behind. Offline, the first missing file raises one `LexiconError`.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    for language in languages:
        target = cache_dir / f"en-{language}.txt"
        if not target.is_file():
            _download(MUSE_URL.format(language=language), target, timeout)
    return cache_dir


def _download(url: str, target: Path, timeout: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
    except (TimeoutError, urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise LexiconError(
            f"cannot download the MUSE dictionary {url} ({reason}); offline, run the sample "
            "profile, whose lexicons ship in data/lexicon"
        ) from None
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(payload)
    os.replace(temporary, target)
