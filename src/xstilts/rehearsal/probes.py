"""The bad-input paths of the hub loaders, against the stand-in hub: each pin the hub refuses
must stop the pipeline with one line that names it and says to fix the pin, never to go
offline. Run by the rehearsal in the stages' environment (`python -m xstilts.rehearsal.probes`),
after `dvc repro`; prints one JSON line per probe and exits 1 if any answer was wrong."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from xstilts.data import hub
from xstilts.errors import XstiltsError
from xstilts.rehearsal.repos import SCRIPT_ONLY_REPO, SCRIPT_ONLY_REVISION
from xstilts.tasks import get_task
from xstilts.tasks.revisions import XLM_R_LARGE
from xstilts.tasks.spec import HubSource

UNKNOWN_REVISION = "0" * 40


@dataclass(frozen=True)
class Probe:
    """A call that must fail with an XstiltsError containing every one of `expected`."""

    name: str
    call: Callable[[], object]
    expected: tuple[str, ...]


def _load(source: HubSource) -> Callable[[], object]:
    return lambda: next(iter(hub.hub_rows(source)))


def _snapshot(repo: str, revision: str) -> Callable[[], object]:
    def call() -> None:
        with tempfile.TemporaryDirectory() as out:
            hub.snapshot_model(repo, revision, out)

    return call


def probes() -> list[Probe]:
    xnli = get_task("xnli").splits["test"].hub_parts[0].for_lang("de")
    siqa = get_task("siqa").splits["train"].hub_parts[0]
    return [
        Probe(
            "dataset revision the hub does not have",
            _load(HubSource(xnli.path, xnli.config, xnli.split, UNKNOWN_REVISION)),
            (f"at revision {UNKNOWN_REVISION}", hub.DATASET_PIN_HINT),
        ),
        Probe(
            "dataset repository the hub does not have",
            _load(HubSource("facebook/xnli-gone", xnli.config, xnli.split, xnli.revision)),
            ("facebook/xnli-gone", hub.DATASET_PIN_HINT),
        ),
        Probe(
            "dataset revision with only a loading script",
            _load(HubSource(SCRIPT_ONLY_REPO, None, siqa.split, SCRIPT_ONLY_REVISION)),
            (f"at revision {SCRIPT_ONLY_REVISION}", "src/xstilts/tasks/"),
        ),
        Probe(
            "model revision the hub does not have",
            _snapshot("FacebookAI/xlm-roberta-large", UNKNOWN_REVISION),
            (f"@{UNKNOWN_REVISION}", hub.MODEL_REVISION_HINT),
        ),
        Probe(
            "model repository the hub does not have",
            _snapshot("FacebookAI/xlm-roberta-gone", XLM_R_LARGE),
            ("FacebookAI/xlm-roberta-gone", hub.MODEL_REVISION_HINT),
        ),
    ]


def run_probe(probe: Probe) -> dict[str, object]:
    """The probe's outcome: passed when the one expected line came."""
    try:
        probe.call()
    except XstiltsError as err:
        message = str(err)
        passed = "\n" not in message and all(part in message for part in probe.expected)
        return {"probe": probe.name, "passed": passed, "message": message}
    except Exception as err:  # any other failure is a finding to report
        return {"probe": probe.name, "passed": False, "message": f"{type(err).__name__}: {err}"}
    return {"probe": probe.name, "passed": False, "message": "no error"}


def main() -> int:
    outcomes = [run_probe(probe) for probe in probes()]
    for outcome in outcomes:
        print(json.dumps(outcome), flush=True)
    return 0 if all(o["passed"] for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
