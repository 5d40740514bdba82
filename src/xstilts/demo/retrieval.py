"""The demo's retrieval view: a query in any language, each condition's encoder's nearest English
sentences from a pool, for the query as typed and perturbed.

The encoders are the ones the retrieve stage scores: each condition's intermediate encoder
(`models/intermediate/<condition>/seed<k>`), the base model for `none` (`encoder_source`),
pooled as the stage pools Tatoeba (mean over the tokens of `middle_layer`, truncated where the
stage truncates when the app reads the run's params.yaml). The pool is the
English side of the run's Tatoeba sets (`retrieval_sets/tatoeba.<lang>.jsonl`, every language's,
each sentence once), encoded once per encoder when the demo starts. The perturbation is made
once, seeded, with the first selected encoder's tokenizer (every condition shares the base
model's), and every encoder meets the same perturbed query.

Each encoder has one lock, held over every use of it or its own tokenizer (a fast tokenizer's
truncation setting is shared state that each call rewrites; see `xstilts.demo.service`).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from xstilts.demo.family_cache import FamilyCache
from xstilts.demo.inputs import (
    InputError,
    Limits,
    check_language,
    check_model_names,
    check_seed,
    check_strength,
    clean_field,
    shown,
)
from xstilts.errors import XstiltsError
from xstilts.io import read_jsonl
from xstilts.modeling.device import model_device
from xstilts.modeling.meta import encoder_source
from xstilts.modeling.model import load_encoder, load_tokenizer
from xstilts.perturb import Perturbation, families
from xstilts.perturb.effective import is_effective
from xstilts.retrieval.embeddings import middle_layer, sentence_vectors
from xstilts.retrieval.search import normalized, top_k
from xstilts.seeding import derive_seed

TOP_K = 5
MAX_TOP_K = 20
RETRIEVAL_HEADER = [
    "model",
    "top candidates, clean query (cosine)",
    "top candidates, perturbed query (cosine)",
    "first candidate kept?",
]


@dataclass
class RetrievalModel:
    """One condition's encoder with its own tokenizer and its pool's vectors."""

    key: str  # "<condition> · seed<k>"
    condition: str
    seed: int
    encoder: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    layer: int
    max_length: int  # tokens per sentence, within the encoder's positions
    pool: torch.Tensor  # unit rows, one per pool sentence
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass(frozen=True)
class Neighbour:
    sentence: str
    cosine: float


@dataclass(frozen=True)
class RetrievalAnswer:
    """Each model's neighbours of the clean and the perturbed query."""

    query: str
    perturbed: str
    language: str
    effective: bool  # the tokenizer sees the perturbation
    clean: dict[str, list[Neighbour]]
    changed: dict[str, list[Neighbour]]

    def as_dict(self) -> dict:
        """The answer as the API returns it (JSON-ready)."""
        return {
            "message": "" if self.effective else "the tokenizer does not see the perturbation",
            "query": self.query,
            "perturbed": self.perturbed,
            "language": self.language,
            "effective": self.effective,
            "models": {
                key: {
                    "clean": [vars(n) for n in found],
                    "perturbed": [vars(n) for n in self.changed[key]],
                }
                for key, found in self.clean.items()
            },
        }

    def rows(self) -> list[list[str]]:
        out = []
        for key, found in self.clean.items():
            after = self.changed[key]
            kept = "yes" if after[0].sentence == found[0].sentence else "⚠ no"
            out.append([key, _listing(found), _listing(after), kept])
        return out


def pool_sentences(sets_dir: Path) -> list[str]:
    """The English sentences of the run's Tatoeba sets, each once, in file order."""
    files = sorted(Path(sets_dir).glob("tatoeba.*.jsonl"))
    if not files:
        raise XstiltsError(
            f"no Tatoeba sets in {sets_dir}: run the pipeline (`make repro`) or pass "
            "--retrieval-sets DIR"
        )
    english = (r["english"].strip() for path in files for r in read_jsonl(path))
    return list(dict.fromkeys(s for s in english if s))


def load_models(
    intermediate_root: Path,
    base: Path,
    pool: Sequence[str],
    runs: Sequence[tuple[str, int]],
    max_length: int,
) -> dict[str, RetrievalModel]:
    """The encoder of every (condition, seed) in `runs`, on the device every model of this
    process runs on (`model_device`), with the pool encoded; `max_length` is the retrieve
    stage's (`retrieval.max_length`), within the encoder's positions."""
    models = {}
    for condition, seed in runs:
        folder = Path(intermediate_root) / condition / f"seed{seed}"
        encoder = load_encoder(encoder_source(folder, base)).to(model_device()).eval()
        tokenizer = load_tokenizer(base)
        layer = middle_layer(encoder.config.num_hidden_layers)
        length = min(max_length, encoder.config.max_position_embeddings - 2)  # XLM-R's offset
        vectors = sentence_vectors(encoder, tokenizer, list(pool), layer=layer, max_length=length)
        key = f"{condition} · seed{seed}"
        models[key] = RetrievalModel(
            key, condition, seed, encoder, tokenizer, layer, length, normalized(vectors)
        )
    return models


class RetrievalDemo:
    """The view's requests: checked input in, each model's neighbours out."""

    def __init__(
        self,
        models: dict[str, RetrievalModel],
        pool: Sequence[str],
        lexicon_dir: Path | None,
        limits: Limits | None = None,
    ) -> None:
        self.models, self.pool = models, list(pool)
        self.families = FamilyCache(lexicon_dir)
        self.limits = limits or Limits()

    def model_keys(self) -> list[str]:
        return list(self.models)

    def search(
        self,
        query: object,
        language: object,
        model_keys: object,
        family: object,
        strength: object,
        seed: object,
        k: object = TOP_K,
    ) -> RetrievalAnswer:
        text = clean_field("Query", query, self.limits.max_chars)
        lang = check_language(language, [text])
        models = self._check_models(model_keys)
        strength, seed, k = check_strength(strength), check_seed(seed), self._check_k(k)
        first = models[0]
        with first.lock:
            chosen = self._family(first, family)
            rng = random.Random(derive_seed("demo-retrieval", seed, lang, chosen.name, strength))
            perturbed = chosen.apply(text, lang, strength, rng).text
            effective = is_effective(first.tokenizer, text, perturbed)
        clean, changed = {}, {}
        for model in models:
            with model.lock:
                clean[model.key], changed[model.key] = self._neighbours(model, [text, perturbed], k)
        return RetrievalAnswer(text, perturbed, lang, effective, clean, changed)

    def _neighbours(
        self, model: RetrievalModel, queries: list[str], k: int
    ) -> tuple[list[Neighbour], ...]:
        vectors = sentence_vectors(
            model.encoder,
            model.tokenizer,
            queries,
            layer=model.layer,
            max_length=model.max_length,
        )
        found = top_k(normalized(vectors), model.pool, k)
        return tuple(
            [Neighbour(self.pool[i], round(s, 3)) for i, s in zip(idx, scores, strict=True)]
            for idx, scores in zip(found.indices.tolist(), found.scores.tolist(), strict=True)
        )

    def _check_models(self, keys: object) -> list[RetrievalModel]:
        keys = check_model_names(keys, self.limits.max_models)
        unknown = [k for k in keys if k not in self.models]
        if unknown:
            raise InputError(
                f"model(s) {', '.join(map(shown, unknown[:3]))} are not loaded; "
                f"available: {', '.join(self.models)}"
            )
        return [self.models[k] for k in keys]

    def _family(self, model: RetrievalModel, name: object) -> Perturbation:
        """The family `name`, built once per model with its tokenizer (homoglyph and invisible
        drop what it erases); the caller holds the model's lock."""
        if name not in families():
            raise InputError(f"unknown family {shown(name)}; known: {', '.join(families())}")
        return self.families.get(model.key, model.tokenizer)[str(name)]

    @staticmethod
    def _check_k(value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOP_K:
            raise InputError(f"candidates must be a whole number from 1 to {MAX_TOP_K}")
        return value


def _listing(found: list[Neighbour]) -> str:
    return " · ".join(f"{n.sentence} ({n.cosine:.2f})" for n in found)
