"""Training the sample profile's SentencePiece Unigram tokenizer.

The pieces and their scores come from SentencePiece's own trainer (as XLM-R's did), run on one
thread with a fixed seed: it is deterministic, while `tokenizers`' UnigramTrainer returns the
same pieces with scores and order that vary from process to process, which would make every
later stage irreproducible. The vocabulary is handed to `XLMRobertaTokenizer` itself (metaspace
pre-tokenisation, `<s> A </s></s> B </s>` templates, XLM-R's special tokens), so every later
stage loads it exactly as it would load xlm-roberta-large's. Unlike XLM-R's, it applies no NFKC
normalisation (the sample world is NFC text), so checks of what a model "sees" must always use
that model's own tokenizer.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import sentencepiece as spm
from transformers import XLMRobertaTokenizer

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # ids 0..4, XLM-R's first four


def train_unigram(lines: Iterable[str], vocab_size: int, normalization: str = "identity") -> bytes:
    """A serialized SentencePiece Unigram model trained on `lines` (deterministic: one thread,
    fixed seed), with XLM-R's special-token ids."""
    model = io.BytesIO()
    spm.set_random_generator_seed(0)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        num_threads=1,
        character_coverage=1.0,
        hard_vocab_limit=False,
        normalization_rule_name=normalization,
        bos_id=0,
        pad_id=1,
        eos_id=2,
        unk_id=3,
        user_defined_symbols=["<mask>"],
        minloglevel=2,
    )
    return model.getvalue()


def vocab_of(proto: bytes) -> list[tuple[str, float]]:
    """(piece, log-probability) pairs of a trained model, specials first with score 0."""
    processor = spm.SentencePieceProcessor(model_proto=proto)
    vocab = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(len(processor))]
    assert [piece for piece, _ in vocab[:5]] == SPECIAL_TOKENS, vocab[:5]
    return [(piece, 0.0) for piece in SPECIAL_TOKENS] + vocab[5:]


def unigram_vocab(lines: Iterable[str], vocab_size: int) -> list[tuple[str, float]]:
    """(piece, log-probability) pairs from SentencePiece's Unigram trainer, specials first."""
    return vocab_of(train_unigram(lines, vocab_size))


def train_tokenizer(lines: Iterable[str], vocab_size: int) -> XLMRobertaTokenizer:
    """An `XLMRobertaTokenizer` over a SentencePiece Unigram vocabulary trained on `lines`."""
    return XLMRobertaTokenizer(vocab=unigram_vocab(lines, vocab_size))
