"""The `lexicons` stage: the bilingual lexicons code-switching draws from, as a DVC output.

Sample profile: the sample world's `data/lexicon/en-xx.tsv`, copied. Full profile: MUSE's
en-xx ground-truth dictionaries, downloaded once (offline: one line pointing to the sample
profile) and versioned by DVC like every other download.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from xstilts.config import Params
from xstilts.data.prepared import target_languages
from xstilts.io import atomic_dir
from xstilts.perturb.lexicon import fetch_muse


def lexicon_languages(params: Params) -> list[str]:
    """Every non-English language of the targets: each needs an en-xx lexicon."""
    langs = {lang for task in params.targets for lang in target_languages(params, task)}
    return sorted(langs - {"en"})


def run_lexicons(params: Params, out_dir: Path) -> list[str]:
    languages = lexicon_languages(params)
    with atomic_dir(out_dir) as tmp:
        if params.robustness.lexicons == "muse":
            fetch_muse(languages, tmp)
        else:
            source = Path(params.data.root) / "lexicon"
            for lang in languages:
                path = source / f"en-{lang}.tsv"
                if path.is_file():
                    shutil.copyfile(path, tmp / path.name)
    return sorted(p.name for p in out_dir.iterdir())
