"""Task heads on top of the shared encoder.

Design (documented because it matters, see Phang et al.'s pitfalls): every head reads the
final hidden state of the <s> token through its own dense+tanh layer, as in RoBERTa's
classification head. We do not use XLM-R's `pooler`, which is not part of the pretrained MLM
checkpoint and would start random while looking pretrained. A multiple-choice head is the same
module with one output, scoring each (context, question + choice) sequence.
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
