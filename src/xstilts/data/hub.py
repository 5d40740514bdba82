"""Everything that talks to the Hugging Face hub, and the one-line error when it cannot.

The libraries retry an unreachable hub for tens of seconds and print a log line per try, so the
full profile first checks that the hub answers at all (one TCP connect, a few seconds) and stops
with one clear line if it does not. With HF_HUB_OFFLINE=1 only the local cache is used.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from xstilts.errors import XstiltsError
from xstilts.tasks.spec import HubSource

OFFLINE_HINT = "run the offline sample profile instead: `xstilts profile sample && make repro`"
CONNECT_TIMEOUT_S = 5.0


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").upper() in {"1", "ON", "YES", "TRUE"}


def require_hub(what: str) -> None:
    """Fail fast, in one line, when the hub cannot be reached (unless running from the cache)."""
    if hub_offline():
        return
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise XstiltsError(
            f"cannot reach the Hugging Face hub ({url.hostname}) to fetch {what}: "
            f"{err.strerror or err}; {OFFLINE_HINT}"
        ) from None


def hub_rows(source: HubSource) -> Iterator[dict[str, Any]]:
    """Rows of one split of a hub dataset at its pinned revision."""
    require_hub(f"dataset {source.describe()}")
    import datasets

    try:
        dataset = datasets.load_dataset(
            source.path, source.config, split=source.split, revision=source.revision
        )
    except (ConnectionError, OSError, datasets.exceptions.DatasetNotFoundError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise XstiltsError(f"cannot load dataset {source.describe()}: {reason}; {OFFLINE_HINT}")
    yield from dataset


def snapshot_model(repo_id: str, revision: str, out_dir: str) -> None:
    """Download a pretrained MLM and its tokenizer at a pinned revision into `out_dir`
    (save_pretrained layout, safetensors weights only)."""
    require_hub(f"model {repo_id} at revision {revision}")
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(repo_id, revision=revision)
        model = AutoModelForMaskedLM.from_pretrained(
            repo_id, revision=revision, use_safetensors=True
        )
    except OSError as err:
        reason = str(err).splitlines()[0]
        raise XstiltsError(f"cannot load model {repo_id}@{revision}: {reason}; {OFFLINE_HINT}")
    tokenizer.save_pretrained(out_dir)
    model.save_pretrained(out_dir)
