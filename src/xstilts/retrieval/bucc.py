"""BUCC-shaped bitext mining, end to end, as XTREME scores BUCC 2018.

Each split (dev and test) has a source side and an English side, sentences with ids, and gold
pairs of ids. Sentences are encoded alone (the mean over the tokens of `hidden_states[8]`,
XTREME's `--specific_layer 7`), pairs mined by ratio margin (`mining.mine`), the threshold chosen
where F1 on the dev gold pairs is best (`metrics.best_threshold`), and the test pairs scoring at
least that threshold are scored against the test gold pairs.

Pooling: XTREME's `scripts/run_bucc2018.sh` passes `--pool_type cls`, but until
google-research/xtreme commit 287a7b7 (2021-10-07) `evaluate_retrieval.py` did not hand that
option to `extract_embeddings`, whose default is `mean`. XTREME's published BUCC results and
those of Phang et al. (2020), made with the 2020 code, are therefore mean-pooled, and so is this
(`pool` to choose the first token instead). On the sample world the difference is large: the
tracked encoder's BUCC-shaped test F1 is 22.3 mean-pooled and 3.7 from the first token
(`bench/retrieval_sample.py`).

XTREME's script first drops sentences that occur twice on a side (`read_sent2id`: a repeated
text cannot be mapped back to one id); the same is done here with empty sentences too, and
counted. An encoder of fewer than 8 layers is pooled at its last.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from xstilts.errors import XstiltsError
from xstilts.retrieval.embeddings import Pool, sentence_vectors
from xstilts.retrieval.metrics import MiningScore, best_threshold, mining_score, scored_ids
from xstilts.retrieval.mining import mine

BUCC_LAYER = 8  # hidden state, mean-pooled
BUCC_POOL: Pool = "mean"  # what XTREME's 2020 code pooled (see above)


@dataclass(frozen=True)
class MiningSplit:
    source: Sequence[tuple[str, str]]  # (id, sentence)
    target: Sequence[tuple[str, str]]  # (id, English sentence)
    gold: Collection[tuple[str, str]]  # (source id, target id)


@dataclass(frozen=True)
class BuccResult:
    test: MiningScore  # at the dev-chosen threshold
    dev: MiningScore  # at the same threshold, on dev
    repeated_dropped: int  # sentences left out because their text occurs twice on a side


def bucc_score(
    encoder: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    dev: MiningSplit,
    test: MiningSplit,
    *,
    layer: int | None = None,
    pool: Pool = BUCC_POOL,
    max_length: int = 512,
    batch_size: int = 64,
) -> BuccResult:
    """Test precision, recall and F1 at the threshold that is best on dev."""
    layer = min(BUCC_LAYER, encoder.config.num_hidden_layers) if layer is None else layer
    options = {
        "layer": layer,
        "pool": pool,
        "max_length": max_length,
        "batch_size": batch_size,
    }
    dropped = 0
    scored = {}
    for name, split in (("dev", dev), ("test", test)):
        if not split.gold:
            raise XstiltsError(f"BUCC {name} split has no gold pairs: F1 is undefined")
        sides = []
        for side in (split.source, split.target):
            ids = [i for i, _ in side]
            if len(set(ids)) != len(ids):
                repeated = next(i for i, n in Counter(ids).items() if n > 1)
                raise XstiltsError(f"BUCC {name} split: id {repeated!r} occurs twice on one side")
            kept, lost = _unique_texts(side)
            dropped += lost
            sides.append(kept)
        (source, target) = sides
        x = sentence_vectors(encoder, tokenizer, [t for _, t in source], **options)
        y = sentence_vectors(encoder, tokenizer, [t for _, t in target], **options)
        scored[name] = scored_ids(mine(x, y), [i for i, _ in source], [i for i, _ in target])
    threshold = best_threshold(scored["dev"], dev.gold)
    return BuccResult(
        mining_score(scored["test"], test.gold, threshold),
        mining_score(scored["dev"], dev.gold, threshold),
        dropped,
    )


def _unique_texts(side: Sequence[tuple[str, str]]) -> tuple[list[tuple[str, str]], int]:
    """The (id, text) rows whose text occurs once on the side, and how many rows were not."""
    counts = Counter(text.strip() for _, text in side)
    kept = [(i, t) for i, t in side if t.strip() and counts[t.strip()] == 1]
    return kept, len(side) - len(kept)
