"""Task heads on top of the shared encoder.

Design (documented because it matters, see Phang et al.'s pitfalls): every head reads the
final hidden state of the <s> token through its own dense+tanh layer, as in RoBERTa's
classification head. We do not use XLM-R's `pooler`, which is not part of the pretrained MLM
checkpoint and would start random while looking pretrained. A multiple-choice head is the same
module with one output, scoring each (context, question + choice) sequence.

A tagging head scores every position instead: dropout and one linear layer over each final
hidden state, as `XLMRobertaForTokenClassification` does; only each word's first sub-token is
read (`xstilts.modeling.tagged_inputs`).

A span head (extractive QA) is one linear layer giving each position a start and an end score,
as `XLMRobertaForQuestionAnswering`'s `qa_outputs` (no dropout there either).
"""

from __future__ import annotations

import torch
from torch import nn


class ClassificationHead(nn.Module):
    def __init__(self, hidden_size: int, num_outputs: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, num_outputs)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        x = self.dropout(hidden_states[:, 0])
        x = torch.tanh(self.dense(x))
        return self.out_proj(self.dropout(x))


class TokenClassificationHead(nn.Module):
    def __init__(self, hidden_size: int, num_outputs: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(hidden_size, num_outputs)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Logits [batch, length, tags]."""
        return self.out_proj(self.dropout(hidden_states))


class SpanHead(nn.Module):
    def __init__(self, hidden_size: int, num_outputs: int, dropout: float) -> None:
        super().__init__()
        assert num_outputs == 2, "a span head scores a start and an end"
        self.qa_outputs = nn.Linear(hidden_size, 2)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Logits [batch, length, 2]: start scores in [..., 0], end scores in [..., 1]."""
        return self.qa_outputs(hidden_states)
