"""xstilts: X-STILTs intermediate-task training and its robustness under zero-shot transfer."""

__version__ = "0.1.0"
