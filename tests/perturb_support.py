"""Tokenizers and texts shared by the perturbation tests.

`xlmr_style_tokenizer` is the sample tokenizer with XLM-R's normaliser: SentencePiece trained with
its nmt_nfkc rule, whose precompiled character map is handed to `XLMRobertaTokenizer` exactly as
a converted xlm-roberta checkpoint hands it, so "does the model see this change" is answered as
XLM-R would answer it, offline.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from pathlib import Path

import regex
from transformers import XLMRobertaTokenizer

from xstilts.modeling.tokenizer import train_tokenizer, train_unigram, vocab_of

REPO = Path(__file__).resolve().parents[1]
SAMPLE_LANGUAGES = ("en", "vi", "ru", "ar", "hi", "zh")
LEXICONS = REPO / "data" / "lexicon"


def corpus_lines(per_language: int = 400) -> list[str]:
    lines = []
    for language in SAMPLE_LANGUAGES:
        text = (REPO / "data" / "corpus" / f"{language}.txt").read_text(encoding="utf-8")
        lines += text.splitlines()[:per_language]
    return lines


@functools.cache
def sample_tokenizer() -> XLMRobertaTokenizer:
    return train_tokenizer(corpus_lines(), vocab_size=800)


@functools.cache
def xlmr_style_tokenizer() -> XLMRobertaTokenizer:
    proto = train_unigram(corpus_lines(), vocab_size=800, normalization="nmt_nfkc")
    return XLMRobertaTokenizer(vocab=vocab_of(proto), _spm_precompiled_charsmap=_charsmap(proto))


def _charsmap(proto: bytes) -> bytes:
    """ModelProto.normalizer_spec (field 3).precompiled_charsmap (field 2), from the wire."""
    spec = _field(proto, 3)
    return _field(spec, 2)


def _field(message: bytes, wanted: int) -> bytes:
    position = 0
    while position < len(message):
        key, position = _varint(message, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, position = _varint(message, position)
        elif wire == 1:
            position += 8
        elif wire == 5:
            position += 4
        elif wire == 2:
            length, position = _varint(message, position)
            if number == wanted:
                return message[position : position + length]
            position += length
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
    raise KeyError(wanted)


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position


def real_world_strings() -> list[tuple[str, str, str]]:
    """(language, script, text) rows of tests/fixtures/scripts.tsv."""
    rows = (REPO / "tests" / "fixtures" / "scripts.tsv").read_text(encoding="utf-8").splitlines()
    parsed = [row.split("\t") for row in rows if row and not row.startswith("#")]
    return [(lang, script, _unescape(text)) for lang, script, text in parsed]


def _unescape(text: str) -> str:
    """Control characters are written as \\xNN or \\t in the fixture."""
    return re.sub(r"\\x([0-9a-f]{2})|\\t", lambda m: chr(int(m[1], 16)) if m[1] else "\t", text)


# Marks and vowel signs that need a base letter before them, and vowels written before theirs.
_NEEDS_BASE = regex.compile(
    r"[[\p{Mn}\p{Mc}\p{InSC=Vowel_Dependent}]--\p{Logical_Order_Exception}]", regex.V1
)
_PREPOSED = regex.compile(r"\p{Logical_Order_Exception}")
_BASE_AFTER = regex.compile(r"[\p{L}--\p{Logical_Order_Exception}]", regex.V1)
_SHIN_DOTS = regex.compile(r"[\u05C1\u05C2]")
_CONJOINING_JAMO = regex.compile(r"[\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF]")
_CLUSTER = regex.compile(r"\X")


def misplaced_marks(text: str) -> Counter[tuple[str, str]]:
    """The marks `text` has off a base of the right kind, counted by (what is wrong, the plain
    Unicode cluster holding the mark, from the mark on), judged without the clusters under test:
    a mark or vowel sign at the start or after a space, a vowel written before its consonant
    with no consonant after it, a shin or sin dot on a letter other than shin, conjoining jamo
    that do not compose into a syllable."""
    found: Counter[tuple[str, str]] = Counter()
    for cluster in _CLUSTER.finditer(text):
        piece = cluster.group()
        for at, char in enumerate(piece, cluster.start()):
            rest = text[at : cluster.end()]  # a space the mark went onto is not part of it
            if _NEEDS_BASE.match(char) and (at == 0 or text[at - 1].isspace()):
                found["no base before", rest] += 1
            if _PREPOSED.match(char) and not _BASE_AFTER.match(text[at + 1 : at + 2]):
                found["no base after", rest] += 1
        if _SHIN_DOTS.search(piece) and piece[0] != "ש":
            found["dot off shin", piece] += 1
        if _CONJOINING_JAMO.search(piece) and len(unicodedata.normalize("NFC", piece)) != 1:
            found["broken jamo", piece] += 1
    return found


def new_misplaced_marks(original: str, perturbed: str) -> list[tuple[str, str]]:
    """The misplaced marks `perturbed` has and `original` lacks, of each kind that grew in
    number ([] when none): a family may copy a malformed cluster (repeating a word) or edit a
    letter inside one, but not make one."""
    before, after = misplaced_marks(original), misplaced_marks(perturbed)
    grown = {kind for kind, _ in after if _total(after, kind) > _total(before, kind)}
    return sorted(item for item in after if item[0] in grown and item not in before)


def _total(found: Counter[tuple[str, str]], kind: str) -> int:
    return sum(n for (what, _), n in found.items() if what == kind)
