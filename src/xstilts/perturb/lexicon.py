"""Bilingual English-pivot lexicons for code-switching: reading them, and fetching MUSE's.

A lexicon file `en-xx.tsv` (the sample world's) or `en-xx.txt` (MUSE's bilingual dictionaries,
Conneau et al. 2018) holds one "english<TAB or space>translation" pair a line; a word may have
several translations. The full profile downloads MUSE's files once into a cache directory that
DVC versions like any other data; the sample profile ships its lexicons in `data/lexicon`.

MUSE has no dictionary for some target languages (sw, ur, ht, qu among XNLI's and XCOPA's): its
server answers 404, and the language is recorded as having none, so that code-switching is
reported as not applicable there. Any other failure (no network, a server error, a connection
lost mid-transfer, an empty or malformed file) is one `LexiconError` naming the URL or file.
"""

from __future__ import annotations

import functools
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xstilts.perturb.errors import LexiconError

MUSE_URL = "https://dl.fbaipublicfiles.com/arrival/dictionaries/en-{language}.txt"
# A mirror (or the rehearsal's local stand-in) replaces MUSE's server: the same file names under
# another base URL, e.g. http://127.0.0.1:8000/muse (the file names are appended).
MUSE_BASE_ENV = "XSTILTS_MUSE_BASE_URL"
DOWNLOAD_TIMEOUT_S = 15.0
OFFLINE_HINT = "offline, run the sample profile, whose lexicons ship in data/lexicon"
REFETCH_HINT = "delete it and run the lexicons stage again"
SERVED_HINT = "nothing was written; check the URL, or retry later"


@dataclass(frozen=True)
class Lexicon:
    """Translations between English and one language, both ways, lower-cased keys."""

    language: str
    from_english: dict[str, tuple[str, ...]] = field(default_factory=dict)
    to_english: dict[str, tuple[str, ...]] = field(default_factory=dict)


def split_entry(line: str) -> tuple[str, str] | None:
    """(english, translation) of one lexicon line, or None if it is not such a pair."""
    parts = line.strip().split("\t") if "\t" in line else line.strip().split(maxsplit=1)
    if len(parts) != 2 or not all(p.strip() for p in parts):
        return None
    english, other = (p.strip() for p in parts)
    return english, other


def parse_lexicon(language: str, lines: Iterable[str]) -> Lexicon:
    """The lexicon of the pairs among `lines` (other lines are skipped: see `check_lexicon`)."""
    from_english: dict[str, dict[str, None]] = {}
    to_english: dict[str, dict[str, None]] = {}
    for line in lines:
        entry = split_entry(line)
        if entry is None:
            continue
        english, other = entry
        from_english.setdefault(english.lower(), {})[other] = None
        to_english.setdefault(other.lower(), {})[english] = None
    return Lexicon(
        language,
        {k: tuple(v) for k, v in from_english.items()},
        {k: tuple(v) for k, v in to_english.items()},
    )


def check_lexicon(where: str, text: str, fix: str = REFETCH_HINT) -> None:
    """Refuse a lexicon file that is empty or has a line that is not a word pair (an error page,
    a truncated or foreign file): parsed leniently, it would silently switch no words."""
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise LexiconError(f"lexicon {where} is empty; {fix}")
    for number, line in enumerate(lines, 1):
        if line.strip() and split_entry(line) is None:
            raise LexiconError(
                f"lexicon {where}, line {number}: not an 'english<TAB or space>translation' "
                f"pair ({line.strip()[:40]!r}); {fix}"
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
    check_lexicon(path, text)
    return parse_lexicon(language, text.splitlines())


def lexicon_languages(directory: Path) -> tuple[str, ...]:
    names = [*directory.glob("en-*.tsv"), *directory.glob("en-*.txt")]
    return tuple(sorted({p.stem.removeprefix("en-") for p in names}))


def muse_url() -> str:
    """The URL template of MUSE's dictionaries: MUSE's own server, unless `MUSE_BASE_ENV` names
    another base URL."""
    base = os.environ.get(MUSE_BASE_ENV, "").strip()
    return f"{base.rstrip('/')}/en-{{language}}.txt" if base else MUSE_URL


def fetch_muse(
    languages: Iterable[str], cache_dir: Path, timeout: float = DOWNLOAD_TIMEOUT_S
) -> list[str]:
    """Download MUSE's en-xx dictionaries into `cache_dir` (kept if already there); returns the
    languages MUSE has no dictionary for (its server answers 404).

    Each file is checked and then written to a temporary name and renamed, so an interrupted or
    bad download never leaves a truncated dictionary behind and a rerun fetches it again.
    Offline, the first missing file raises one `LexiconError`.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    missing = []
    for language in languages:
        target = cache_dir / f"en-{language}.txt"
        if not target.is_file() and not _download(
            muse_url().format(language=language), target, timeout
        ):
            missing.append(language)
    return missing


def _download(url: str, target: Path, timeout: float) -> bool:
    """Write the dictionary at `url` to `target`; False if the server says it does not exist."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise _download_error(url, f"HTTP {error.code} {error.reason}") from None
    except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise _download_error(url, getattr(error, "reason", None) or _describe(error)) from None
    try:
        check_lexicon(url, payload.decode("utf-8"), SERVED_HINT)
    except UnicodeDecodeError:
        raise LexiconError(f"lexicon {url} is not UTF-8 text; is the URL right?") from None
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(payload)
    os.replace(temporary, target)
    return True


def _download_error(url: str, reason: object) -> LexiconError:
    return LexiconError(f"cannot download the MUSE dictionary {url} ({reason}); {OFFLINE_HINT}")


def _describe(error: BaseException) -> str:
    """A transfer error in words: IncompleteRead's own text is a byte count, not a reason."""
    if isinstance(error, http.client.IncompleteRead):
        return f"connection lost after {len(error.partial)} bytes"
    return str(error) or type(error).__name__
