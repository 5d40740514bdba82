"""Training a span head (extractive QA): cross-entropy of the gold start and of the gold end
position of each window (their mean, as `XLMRobertaForQuestionAnswering`), padding excluded so a
window's loss does not depend on what it is batched with; model selection on English dev F1 of
the chosen answers (SQuAD normalisation, the dev sets being English), kept as counts so the loop
can add them across processes."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from xstilts.modeling.model import MultiTaskModel
from xstilts.modeling.predict_spans import SpanChoice, predict_answers
from xstilts.modeling.span_inputs import EncodedSpans, collate_spans
from xstilts.qa_metrics import score
from xstilts.training.distributed import shard
from xstilts.training.objectives import TaskObjective


@dataclass
class SpanObjective(TaskObjective):
    """A `TaskObjective` whose rows are windows and whose dev score is answer F1."""

    choice: SpanChoice = field(default_factory=SpanChoice.of)
    normalization: str = "squad"

    def batch(self, indices: list[int]) -> dict[str, torch.Tensor]:
        return collate_spans([self.train[i] for i in indices], self.pad_id)

    def weights(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.ones(len(batch["start_positions"]))

    def loss(self, model: MultiTaskModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = model(self.head, batch["input_ids"], batch["attention_mask"])
        padding = batch["attention_mask"] == 0
        logits = logits.masked_fill(padding.unsqueeze(-1), torch.finfo(logits.dtype).min)
        start = F.cross_entropy(logits[..., 0], batch["start_positions"])
        end = F.cross_entropy(logits[..., 1], batch["end_positions"])
        return (start + end) / 2

    def evaluate(
        self, model: MultiTaskModel, rank: int = 0, processes: int = 1, precision: str = "auto"
    ) -> tuple[float, float]:
        """This process's share of dev examples, as (summed F1, examples)."""
        dev = self.dev
        assert isinstance(dev, EncodedSpans)
        mine, real = shard(range(dev.examples), rank, processes)
        answers = predict_answers(
            model,
            self.head,
            dev,
            self.pad_id,
            self.choice,
            self.eval_batch_size,
            precision,
            mine[:real],
        )
        total = sum(
            score(answer.text, dev.answers[e], self.normalization, dev.languages[e])[1]
            for e, answer in zip(mine[:real], answers, strict=True)
        )
        return float(total), float(real)
