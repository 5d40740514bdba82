"""The `lexicons` stage: the bilingual lexicons code-switching draws from, as a DVC output.

Sample profile: the sample world's `data/lexicon/en-xx.tsv`, copied. Full profile: MUSE's
en-xx ground-truth dictionaries, downloaded once (offline: one line pointing to the sample
profile) and versioned by DVC like every other download.

A language MUSE has no dictionary for is named in `missing.json` (written only when there is
one): code-switching does not apply to it, which the perturbed sets, metrics and report record.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from xstilts.config import Params
from xstilts.data.prepared import target_languages
from xstilts.io import atomic_dir, read_json, write_json
from xstilts.perturb.lexicon import fetch_muse, muse_url

MISSING_FILE = "missing.json"


def lexicon_languages(params: Params) -> list[str]:
    """Every non-English language of the targets: each needs an en-xx lexicon."""
    langs = {lang for task in params.targets for lang in target_languages(params, task)}
    return sorted(langs - {"en"})


def run_lexicons(params: Params, out_dir: Path) -> list[str]:
    """Write the lexicons into `out_dir`; returns the names of the lexicon files."""
    languages = lexicon_languages(params)
    with atomic_dir(out_dir) as tmp:
        if params.robustness.lexicons == "muse":
            missing = fetch_muse(languages, tmp)
            if missing:
                write_json(tmp / MISSING_FILE, {"languages": missing, "source": muse_url()})
        else:
            source = Path(params.data.root) / "lexicon"
            for lang in languages:
                path = source / f"en-{lang}.tsv"
                if path.is_file():
                    shutil.copyfile(path, tmp / path.name)
    return sorted(p.name for p in out_dir.iterdir() if p.name != MISSING_FILE)


def missing_lexicons(out_dir: Path) -> list[str]:
    """The languages the lexicon source has no dictionary for (see `run_lexicons`)."""
    path = out_dir / MISSING_FILE
    return read_json(path)["languages"] if path.is_file() else []
