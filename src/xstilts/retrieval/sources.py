"""The retrieval benchmarks' data as their sources lay it out, read into the evaluators' inputs.

- Tatoeba (LASER's test sets as XTREME scores them): rows of `mteb/tatoeba-bitext-mining`,
  `sentence1` a language's sentence, `sentence2` its English translation, `lang` Tatoeba's
  ISO 639-3 pair (`vie-eng`); the sample world's `retrieval/tatoeba/test.jsonl` has the same rows.
  `tatoeba_pairs` gives each language's aligned lists, under XTREME's two-letter codes
  (`TATOEBA_CODES`, its `utils_preprocess.py` table).
- BUCC 2018 (`bucc2018/<xx>-en/<xx>-en.<split>.{<xx>,en,gold}`: `ID<TAB>sentence` lines and
  `<xx ID><TAB><en ID>` gold lines; XTREME's dev is the `sample` split, its test `training`), as
  the sample world lays it out too: `read_bucc_split` gives a `MiningSplit`.

Bad input is one clear line (`XstiltsError`): an unknown language pair, a row without its
fields, a language with no rows, a line without its tab, an ID used twice, a gold pair naming an
ID the corpus lacks. Empty sentences are kept here and counted by the evaluators, which leave
them out (`parallel`, `bucc`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from xstilts.errors import XstiltsError
from xstilts.retrieval.bucc import MiningSplit
from xstilts.tasks.spec import HubSource

# mteb/tatoeba-bitext-mining's revision that mteb's Tatoeba task pins (embeddings-benchmark/mteb,
# tatoeba_bitext_mining.py): JSON rows of every language pair in one `test` split
TATOEBA_SOURCE = HubSource(
    "mteb/tatoeba-bitext-mining", None, "test", "69e8f12da6e31d59addadda9a9c8a2e601a0e282"
)

# XTREME-R's Tatoeba languages: XTREME's two-letter code -> Tatoeba's ISO 639-3 code
# (google-research/xtreme, utils_preprocess.py, tatoeba_preprocess)
TATOEBA_CODES = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "de": "deu", "el": "ell", "es": "spa",
    "et": "est", "eu": "eus", "fa": "pes", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin",
    "hu": "hun", "id": "ind", "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz",
    "ko": "kor", "ml": "mal", "mr": "mar", "nl": "nld", "pt": "por", "ru": "rus", "sw": "swh",
    "ta": "tam", "te": "tel", "th": "tha", "tl": "tgl", "tr": "tur", "ur": "urd", "vi": "vie",
    "zh": "cmn", "en": "eng", "az": "aze", "lt": "lit", "pl": "pol", "uk": "ukr", "ro": "ron",
}  # fmt: skip
PIVOT = "en"  # the other side of every pair
BUCC_SPLITS = {"dev": "sample", "test": "training"}  # XTREME's split -> BUCC 2018's file name

Parallel = dict[str, list[str]]  # {"en": English sentences, lang: the translations, aligned}


def tatoeba_pairs(
    rows: Iterable[Mapping[str, Any]], languages: Iterable[str]
) -> dict[str, Parallel]:
    """Each language's pairs, in row order: {lang: {"en": [...], lang: [...]}}."""
    languages = tuple(languages)
    by_pair = {f"{TATOEBA_CODES[lang]}-eng": lang for lang in languages if lang in TATOEBA_CODES}
    unknown = [lang for lang in languages if lang not in TATOEBA_CODES]
    if unknown:
        raise XstiltsError(
            f"Tatoeba: no Tatoeba code for {unknown}; known: {sorted(TATOEBA_CODES)}"
        )
    sets: dict[str, Parallel] = {lang: {"en": [], lang: []} for lang in by_pair.values()}
    for index, row in enumerate(rows):
        try:
            pair, sentence, english = row["lang"], row["sentence1"], row["sentence2"]
        except KeyError as missing:
            raise XstiltsError(
                f"Tatoeba row {index}: no field {missing} (it has {sorted(row)}); rows need "
                "sentence1, sentence2 and lang"
            ) from None
        if pair in by_pair:
            lang = by_pair[pair]
            sets[lang][lang].append(_line(sentence))
            sets[lang]["en"].append(_line(english))
    empty = [lang for lang, pairs in sets.items() if not pairs["en"]]
    if empty:
        raise XstiltsError(
            f"Tatoeba: no rows for {empty} (pairs {[TATOEBA_CODES[x] for x in empty]})"
        )
    return sets


def _line(text: object) -> str:
    """A sentence without the line break LASER's files (and copies of them) keep."""
    if not isinstance(text, str):
        raise XstiltsError(f"Tatoeba: a sentence is {type(text).__name__}, not text")
    return text.rstrip("\r\n")


def bucc_folder(root: Path, lang: str) -> Path:
    return root / "bucc2018" / f"{lang}-en"


def read_bucc_split(root: Path, lang: str, split: str) -> MiningSplit:
    """One BUCC split (`dev` or `test`, XTREME's names) of `lang`-en under `root`."""
    stem = bucc_folder(root, lang) / f"{lang}-en.{BUCC_SPLITS[split]}"
    source = _corpus(Path(f"{stem}.{lang}"))
    target = _corpus(Path(f"{stem}.en"))
    gold = _gold(Path(f"{stem}.gold"), dict(source), dict(target))
    return MiningSplit(source=source, target=target, gold=gold)


def _corpus(path: Path) -> list[tuple[str, str]]:
    rows, seen = [], set()
    for number, line in enumerate(_lines(path), start=1):
        identifier, sentence = _split(line, path, number)
        if identifier in seen:
            raise XstiltsError(f"{path}:{number}: ID {identifier} occurs twice")
        seen.add(identifier)
        rows.append((identifier, sentence))
    return rows


def _gold(path: Path, source: dict[str, str], target: dict[str, str]) -> set[tuple[str, str]]:
    pairs = set()
    for number, line in enumerate(_lines(path), start=1):
        source_id, target_id = _split(line, path, number)
        for identifier, corpus in ((source_id, source), (target_id, target)):
            if identifier not in corpus:
                raise XstiltsError(f"{path}:{number}: gold ID {identifier} is in no sentence file")
        pairs.add((source_id, target_id))
    return pairs


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise XstiltsError(f"BUCC: {path} is missing")
    return path.read_text(encoding="utf-8").splitlines()


def _split(line: str, path: Path, number: int) -> tuple[str, str]:
    identifier, tab, rest = line.partition("\t")
    if not tab or not identifier:
        raise XstiltsError(f"{path}:{number}: expected `ID<TAB>text`, got {line[:60]!r}")
    return identifier, rest
