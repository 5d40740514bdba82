"""Tokenizers and texts shared by the perturbation tests.

`xlmr_style_tokenizer` is the sample tokenizer with XLM-R's normaliser: SentencePiece trained with
its nmt_nfkc rule, whose precompiled character map is handed to `XLMRobertaTokenizer` exactly as
a converted xlm-roberta checkpoint hands it, so "does the model see this change" is answered as
XLM-R would answer it, offline.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

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
