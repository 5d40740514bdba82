"""Did the model see the perturbation? Token ids before and after, through its own tokenizer.

XLM-R's SentencePiece normaliser (nmt_nfkc) maps fullwidth forms, mathematical letters,
decomposed accents, NBSP and some zero-width characters back to plain text, so a perturbation can
change the string and not the input ids. Such an erased perturbation is no test of robustness:
accuracy "under perturbation" on it is clean accuracy. `effective_mask` gives the evaluator the
per-pair flags to report the effective rate and to score robustness on effective pairs only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xstilts.perturb.resources import TokenizerLike


def token_ids(tokenizer: TokenizerLike, text: str) -> list[int]:
    return list(tokenizer.encode(text, add_special_tokens=False))


def is_effective(tokenizer: TokenizerLike, clean: str, perturbed: str) -> bool:
    """True when the tokenizer turns the two texts into different token ids."""
    return clean != perturbed and token_ids(tokenizer, clean) != token_ids(tokenizer, perturbed)


@dataclass(frozen=True)
class EffectiveReport:
    """Per-pair flags and their summary; `rate` is 0.0 for no pairs."""

    flags: tuple[bool, ...]

    @property
    def n_pairs(self) -> int:
        return len(self.flags)

    @property
    def n_effective(self) -> int:
        return sum(self.flags)

    @property
    def rate(self) -> float:
        return self.n_effective / self.n_pairs if self.flags else 0.0


def effective_mask(tokenizer: TokenizerLike, pairs: Iterable[tuple[str, str]]) -> EffectiveReport:
    """Which (clean, perturbed) pairs the tokenizer sees as changed, and the effective rate."""
    return EffectiveReport(tuple(is_effective(tokenizer, c, p) for c, p in pairs))


def survives(tokenizer: TokenizerLike | None, context: str, variants: Sequence[str]) -> list[str]:
    """The variants of `context` that the tokenizer still tells apart from it.

    Without a tokenizer every variant is kept; callers then apply their own static check.
    """
    if tokenizer is None:
        return list(variants)
    clean = token_ids(tokenizer, context)
    return [v for v in variants if token_ids(tokenizer, v) != clean]
