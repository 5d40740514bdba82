"""The `base` stage: the pretrained multilingual encoder every condition starts from.

`pretrain` (sample profile): the encoder `xstilts pretrain` made from the sample corpus, tracked
by pretrained.dvc; the stage checks it against params.yaml's `base` settings and the corpus and
installs it (`xstilts.pretraining.artifact`). It never trains, so changes to the training code
do not rerun pretraining. `hub` (full profile): snapshot xlm-roberta-large at its pinned revision.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.config import BaseConfig
from xstilts.data.hub import snapshot_model
from xstilts.io import atomic_dir, write_json
from xstilts.logs import log_to
from xstilts.pretraining.artifact import install


def run_base(config: BaseConfig, data_root: Path, pretrained: Path, out_dir: Path) -> dict:
    """Write the base model (save_pretrained MLM + tokenizer + meta.json) to `out_dir`."""
    with atomic_dir(out_dir) as tmp:
        if config.source == "pretrain":
            return install(pretrained, config, data_root / "corpus", tmp)
        with log_to(tmp / "train.log"):
            snapshot_model(config.hub_model, config.hub_revision, str(tmp))
        meta = {
            "stage": "base",
            "source": "hub",
            "model": config.hub_model,
            "revision": config.hub_revision,
        }
        write_json(tmp / "meta.json", meta)
    return meta
