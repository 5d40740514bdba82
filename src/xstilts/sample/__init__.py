"""Offline sample world: a deterministic synthetic multilingual world for X-STILTs runs.

Hub datasets and pretrained models cannot be downloaded, so this subpackage generates a small
world instead: six languages in five scripts, an MLM corpus, translation pairs, bilingual
lexicons and hub-shaped task files (QQP, MNLI, RACE, XNLI, PAWS-X, XCOPA) whose target-task
test sets are parallel across languages.
"""

from .world import generate_world
from .world_config import SampleWorldConfig

__all__ = ["SampleWorldConfig", "generate_world"]
