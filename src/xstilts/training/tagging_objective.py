"""Training a tagging head: token-level cross-entropy on each word's first sub-token, and the
task's own metric on English dev for model selection (word accuracy for POS, entity F1 for NER,
kept as counts so the loop can add them across processes)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.predict_tags import predict_tag_probs
from xstilts.modeling.tagged_inputs import IGNORE, EncodedTags, collate_tagged
from xstilts.tag_metrics import corpus_counts
from xstilts.training.distributed import shard
from xstilts.training.objectives import TaskObjective


@dataclass
class TaggingObjective(TaskObjective):
    """A `TaskObjective` whose rows are sentence segments and whose loss terms are words."""

    tag_names: tuple[str, ...] = ()
    metric: str = "accuracy"

    def batch(self, indices: list[int]) -> dict[str, torch.Tensor]:
        return collate_tagged([self.train[i] for i in indices], self.pad_id)

    def weights(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Each row's labelled words: the loss is a mean over words, not over rows."""
        return (batch["labels"] != IGNORE).sum(dim=1).float()

    def loss(self, model: MultiTaskModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        logits = model(self.head, **inputs)
        labels = batch["labels"]
        if not (labels != IGNORE).any():  # a stand-in micro-batch: zero, with a graph
            return logits.sum() * 0.0
        return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)

    def evaluate(
        self, model: MultiTaskModel, rank: int = 0, processes: int = 1, precision: str = "auto"
    ) -> tuple[float, float]:
        """This process's share of dev examples, as (numerator, denominator) of the metric."""
        dev = self.dev
        assert isinstance(dev, EncodedTags)
        mine, real = shard(range(dev.examples), rank, processes)
        probs = predict_tag_probs(
            model, self.head, dev, self.pad_id, self.eval_batch_size, precision, mine[:real]
        )
        gold = [dev.gold(e) for e in mine[:real]]
        pred = [p.argmax(axis=-1).tolist() for p in probs]
        counts = corpus_counts(self.metric, gold, pred, self.tag_names)
        return counts.numerator, counts.denominator
