"""Everything that talks to the Hugging Face hub, and the one-line error when it cannot.

The libraries retry an unreachable hub for minutes and print a log line per try, so the full
profile first checks that the hub answers at all (one HTTP request through huggingface_hub's own
client, which honours HTTPS_PROXY like the downloads do; a few seconds, no retries) and stops
with one clear line if it does not. With HF_HUB_OFFLINE=1 (or, for datasets,
HF_DATASETS_OFFLINE=1) only the local cache is used.

A hub that answers can still refuse what is pinned: a dataset revision that does not exist or
holds only a loading script (which datasets no longer runs), a model or model revision that
does not exist, a model revision without safetensors weights. Each is one line naming what and
which revision, pointing at the pin to change rather than at the network. Rows are only ever
the pinned revision's: datasets' silent fallback to a cached copy of another one is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from xstilts.errors import XstiltsError, first_line
from xstilts.tasks.spec import HubSource

OFFLINE_HINT = "run the offline sample profile instead: `xstilts profile sample && make repro`"
DATASET_PIN_HINT = "check the dataset and revision pinned in its task spec (src/xstilts/tasks/)"
MODEL_PIN_HINT = "pin a revision that has model.safetensors (base.hub_revision in params.yaml)"
MODEL_REVISION_HINT = (
    "check the model and revision pinned in params.yaml (base.hub_model, base.hub_revision)"
)
SCRIPT_ERROR = "Dataset scripts are no longer supported"
CONNECT_TIMEOUT_S = 5.0
OFFLINE_VALUES = {"1", "ON", "YES", "TRUE"}
COMMIT = re.compile(r"[0-9a-f]{40}")


def hub_offline(datasets: bool = False) -> bool:
    """HF_HUB_OFFLINE, or for dataset loading also datasets' own HF_DATASETS_OFFLINE."""
    names = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE") if datasets else ("HF_HUB_OFFLINE",)
    return any(os.environ.get(name, "").upper() in OFFLINE_VALUES for name in names)


def require_hub(what: str, datasets: bool = False) -> None:
    """Fail fast, in one line, when the hub cannot be reached (unless running from the cache).

    Any HTTP answer counts as reachable (the download that follows reports its own status
    errors); no answer within the timeout, a refused or reset connection or a failing proxy
    does not."""
    if hub_offline(datasets):
        return
    from huggingface_hub import constants, get_session
    from huggingface_hub.errors import HTTPError

    try:
        get_session().head(constants.ENDPOINT, timeout=CONNECT_TIMEOUT_S)
    except HTTPError as err:  # transport errors: connect, read, proxy, protocol
        raise XstiltsError(
            f"cannot reach the Hugging Face hub ({urlparse(constants.ENDPOINT).hostname}) to "
            f"fetch {what}: {first_line(err)}; {OFFLINE_HINT}"
        ) from None


def hub_rows(source: HubSource) -> Iterator[dict[str, Any]]:
    """Rows of one split of a hub dataset at its pinned revision."""
    if source.revision is None:
        raise XstiltsError(unpinned(source))
    require_hub(f"dataset {source.describe()}", datasets=True)
    import datasets
    from huggingface_hub.errors import HTTPError

    try:
        dataset = datasets.load_dataset(
            source.path, source.config, split=source.split, revision=source.revision
        )
    except RuntimeError as err:
        if SCRIPT_ERROR not in str(err):
            raise
        raise XstiltsError(
            f"dataset {source.describe()} holds only a loading script, which datasets no longer "
            f"runs ({first_line(err)}); pin a revision with data files (often the commit of its "
            f"refs/convert/parquet branch) in its task spec (src/xstilts/tasks/)"
        ) from None
    except (OSError, HTTPError) as err:
        raise XstiltsError(
            f"cannot load dataset {source.describe()}: {first_line(err)}; {dataset_hint(err)}"
        ) from None
    check_revision(dataset, source)
    check_label_names(dataset.features, source)
    yield from dataset


def hub_stream(source: HubSource) -> Iterator[dict[str, Any]]:
    """Rows of one split of a hub dataset at its pinned revision, streamed in stored order from
    the revision's own files: for corpora read only in part (Wikipedia's English split is about
    20 GB), nothing is downloaded whole and no cached copy of another revision can stand in."""
    if source.revision is None:
        raise XstiltsError(unpinned(source))
    if hub_offline(datasets=True):
        raise XstiltsError(
            f"dataset {source.describe()} is streamed from the hub, which offline mode "
            f"(HF_HUB_OFFLINE or HF_DATASETS_OFFLINE) rules out; {OFFLINE_HINT}"
        )
    require_hub(f"dataset {source.describe()}", datasets=True)
    import datasets
    from huggingface_hub.errors import HTTPError

    try:
        yield from datasets.load_dataset(
            source.path,
            source.config,
            split=source.split,
            revision=source.revision,
            streaming=True,
        )
    except (OSError, HTTPError, ValueError) as err:
        raise XstiltsError(
            f"cannot stream dataset {source.describe()}: {first_line(err)}; "
            f"{DATASET_PIN_HINT if isinstance(err, ValueError) else dataset_hint(err)}"
        ) from None


def unpinned(source: HubSource) -> str:
    return (
        f"dataset {source.describe()}: no revision of it could be verified, so none is pinned "
        f"and it is not loaded; resolve its Parquet commit where the hub is reachable and pin it "
        f"in src/xstilts/tasks/revisions.py"
    )


def check_revision(dataset: Any, source: HubSource) -> None:
    """The rows are the pinned revision's. When the hub refuses a revision for a reason other
    than its absence (it holds only a loading script, a server error) or cannot be reached,
    datasets logs a warning and loads the newest cached copy of the dataset instead, whatever
    its revision; its cache directory is named after the commit it came from."""
    loaded = {
        part
        for cached in dataset.cache_files
        for part in Path(cached["filename"]).parts
        if COMMIT.fullmatch(part)
    }
    if loaded and source.revision not in loaded:
        raise XstiltsError(
            f"cannot load dataset {source.describe()}: the hub did not serve it, and datasets "
            f"fell back to a cached copy of revision {', '.join(sorted(loaded))} (the warning "
            f"above says why); {DATASET_PIN_HINT}"
        )


def dataset_hint(err: BaseException) -> str:
    """What to do: fix the pin when the hub answered that it has no such dataset or revision,
    else (a network failure) run offline."""
    import datasets
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    not_found = (
        datasets.exceptions.DatasetNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )
    return DATASET_PIN_HINT if isinstance(err, not_found) else OFFLINE_HINT


def check_label_names(features: Any, source: HubSource) -> None:
    """The dataset's declared class names for its label column (`label`, or a tag column such
    as `pos_tags`, whose feature is a sequence of class labels) are the ones the task spec
    decodes."""
    if not source.label_names:
        return
    column = features.get(source.label_field)
    declared = getattr(getattr(column, "feature", column), "names", None)
    if declared is None or tuple(declared) != source.label_names:
        found = f"as {list(declared)}" if declared is not None else "with no names"
        raise XstiltsError(
            f"dataset {source.describe()} declares its label classes {found}, but the task "
            f"spec decodes them as {list(source.label_names)}: its labels could be mapped to the "
            f"wrong names; update the task's spec (src/xstilts/tasks/) to what the dataset says"
        )


def model_hint(err: BaseException) -> str:
    """What to do about a model that did not load: pin a revision with safetensors weights; fix
    the pin when the hub answered that it has no such model or revision (transformers wraps
    that answer in an OSError); else (a network failure) run offline."""
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    if "safetensors" in str(err):
        return MODEL_PIN_HINT
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, (RepositoryNotFoundError, RevisionNotFoundError)):
            return MODEL_REVISION_HINT
        cause = cause.__cause__ or cause.__context__
    return OFFLINE_HINT


def snapshot_model(repo_id: str, revision: str, out_dir: str) -> None:
    """Download a pretrained MLM and its tokenizer at a pinned revision into `out_dir`
    (save_pretrained layout, safetensors weights only)."""
    require_hub(f"model {repo_id} at revision {revision}")
    from huggingface_hub.errors import HTTPError
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(repo_id, revision=revision)
        model = AutoModelForMaskedLM.from_pretrained(
            repo_id, revision=revision, use_safetensors=True
        )
    except (OSError, HTTPError) as err:
        raise XstiltsError(
            f"cannot load model {repo_id}@{revision}: {first_line(err)}; {model_hint(err)}"
        ) from None
    tokenizer.save_pretrained(out_dir)
    model.save_pretrained(out_dir)
