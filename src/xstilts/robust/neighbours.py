"""Word neighbours for RS-DA: word -> the words that may replace it in a training copy.

Full profile: Robust-XLT's `counterfitted_neighbors.json` (Huang et al. 2021; counter-fitted
word vectors' nearest neighbours, up to 8 per word, 49,975 English words of which 25,591 have
some), downloaded from the repository at a pinned commit and checked against its SHA-256, so a
changed file stops the run with both hashes named instead of training on other data. Offline,
the download fails in one line that points to the sample profile. Sample profile: the sample
world's synonyms (`data/neighbours/en.json`, written by the world's generator in the same
shape).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from xstilts.errors import XstiltsError

COMMIT = "175cddb89c4e86c7152d0175db8f824f7f4e6bad"  # uclanlp/Robust-XLT, 2024-06-24
COUNTERFITTED_URL = (
    f"https://raw.githubusercontent.com/uclanlp/Robust-XLT/{COMMIT}/counterfitted_neighbors.json"
)
COUNTERFITTED_SHA256 = "103247143f39bd5dd66850f3a912393392641dbd98093c61e2b24a4cc8a96fb0"
URL_ENV = "XSTILTS_NEIGHBOURS_URL"  # another copy of the same file (a mirror, a test server)
DOWNLOAD_TIMEOUT_S = 30.0
FILE = "en.json"
OFFLINE_HINT = "offline, run the sample profile, whose neighbours ship in data/neighbours"


def counterfitted_url() -> str:
    return os.environ.get(URL_ENV, "").strip() or COUNTERFITTED_URL


def fetch_counterfitted(target: Path, timeout: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Download the counter-fitted neighbours to `target`, checked against the pinned hash."""
    url = counterfitted_url()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = response.read()
    except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        raise XstiltsError(
            f"cannot download the RS-DA neighbours {url} ({reason}); {OFFLINE_HINT}"
        ) from None
    digest = hashlib.sha256(payload).hexdigest()
    if digest != COUNTERFITTED_SHA256:
        raise XstiltsError(
            f"the RS-DA neighbours from {url} have SHA-256 {digest}, not the pinned "
            f"{COUNTERFITTED_SHA256} (Robust-XLT commit {COMMIT[:12]}): the file changed; "
            "check the source before pinning another"
        )
    target.write_bytes(payload)
    return target


def load_neighbours(path: Path) -> dict[str, tuple[str, ...]]:
    """word -> its neighbours; a file of another shape is one clear error."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise XstiltsError(f"{path}: cannot read the RS-DA neighbours ({error})") from None
    valid = isinstance(raw, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(w, str) for w in v)
        for k, v in raw.items()
    )
    if not valid:
        raise XstiltsError(f"{path}: expected a JSON object of word -> list of words")
    return {word: tuple(others) for word, others in raw.items() if others}
