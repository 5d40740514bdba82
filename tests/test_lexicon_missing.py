"""Target languages MUSE has no dictionary for (sw, ur, ht, qu): a 404 is recorded and
code-switching is not applicable there, named in the perturbed set, the metrics and the report;
every other download failure, and an empty or malformed dictionary, is one line."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest

from xstilts.evaluate.perturbed_set import build_perturbed_set, read_perturbed_set
from xstilts.evaluate.under_attack import run_attack, summarize_attack
from xstilts.evaluate.under_perturbation import evaluate_perturbations, summarize_variant
from xstilts.examples import PairExample
from xstilts.io import read_json
from xstilts.perturb import Resources, build_families
from xstilts.perturb import lexicon as lexicon_module
from xstilts.perturb.errors import LexiconError
from xstilts.perturb.examples import example_fields
from xstilts.perturb.lexicon import fetch_muse, load_lexicon
from xstilts.report.robustness import not_applicable, not_applicable_lines
from xstilts.stages import lexicons as lexicons_stage

from .perturb_support import LEXICONS

GOOD = b"cat\tchat\nbook livre\n"


class MuseServer(BaseHTTPRequestHandler):
    """MUSE's dictionary server, one behaviour per file name."""

    files: ClassVar[dict[str, bytes]] = {
        "/en-fr.txt": GOOD,
        "/en-empty.txt": b"\n\n",
        "/en-html.txt": b"<html>\n<body>Access denied</body>\n</html>\n",
    }

    def do_GET(self) -> None:
        if self.path == "/en-err.txt":
            self.send_error(503, "Service Unavailable")
            return
        if self.path == "/en-cut.txt":  # the connection drops after a few bytes
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(GOOD)
            self.close_connection = True
            return
        if self.path not in self.files:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.files[self.path])))
        self.end_headers()
        self.wfile.write(self.files[self.path])

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def muse(monkeypatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), MuseServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/en-{{language}}.txt"
    monkeypatch.setattr(lexicon_module, "MUSE_URL", url)
    yield url
    server.shutdown()
    server.server_close()


def test_a_language_muse_has_no_dictionary_for_is_recorded_not_fatal(tmp_path, muse) -> None:
    assert fetch_muse(["sw", "fr", "ur"], tmp_path, timeout=2.0) == ["sw", "ur"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en-fr.txt"]
    assert load_lexicon(tmp_path, "fr").from_english["book"] == ("livre",)


def test_the_lexicons_stage_names_the_missing_languages(tmp_path, muse, monkeypatch) -> None:
    monkeypatch.setattr(lexicons_stage, "lexicon_languages", lambda params: ["fr", "sw"])
    params = SimpleNamespace(robustness=SimpleNamespace(lexicons="muse"))
    out = tmp_path / "lexicons"
    assert lexicons_stage.run_lexicons(params, out) == ["en-fr.txt"]
    assert lexicons_stage.missing_lexicons(out) == ["sw"]
    assert read_json(out / "missing.json")["languages"] == ["sw"]
    assert lexicons_stage.missing_lexicons(LEXICONS) == []


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("err", "(HTTP 503 Service Unavailable)"),
        ("cut", "(connection lost after"),
        ("empty", "is empty"),
        ("html", "line 1: not an 'english<TAB or space>translation' pair ('<html>')"),
    ],
)
def test_a_failed_or_bad_download_is_one_line_and_leaves_nothing(
    tmp_path, muse, language, reason
) -> None:
    with pytest.raises(LexiconError) as caught:
        fetch_muse(["fr", language], tmp_path, timeout=2.0)
    message = str(caught.value)
    assert "\n" not in message and reason in message, message
    assert muse.format(language=language) in message
    # the good file before it is kept (a rerun skips it); nothing half-written is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en-fr.txt"]


def test_an_empty_or_malformed_lexicon_file_is_one_line(tmp_path) -> None:
    (tmp_path / "en-fr.txt").write_text("", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"en-fr.txt is empty"):
        load_lexicon(tmp_path, "fr")
    (tmp_path / "en-de.txt").write_text("cat Katze\nHund\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"en-de.txt, line 2: not an .* pair \('Hund'\)"):
        load_lexicon(tmp_path, "de")


def test_every_sample_lexicon_passes_the_check() -> None:
    for path in sorted(LEXICONS.glob("en-*.tsv")):
        assert load_lexicon(LEXICONS, path.stem.removeprefix("en-")) is not None


EXAMPLES = [
    PairExample("1", "ru", "Анна читает книгу в парке.", "Анна читает.", 0),
    PairExample("2", "sw", "Anna anasoma kitabu.", "Anna anasoma.", 1),
    PairExample("3", "en", "Anna reads a book in the park.", "Anna reads.", 0),
]


def test_codeswitching_is_not_applicable_without_a_lexicon_and_says_so() -> None:
    families = build_families(["codeswitch", "keyboard"], Resources(LEXICONS))
    records = build_perturbed_set(EXAMPLES, families, [0.5], seed=0)
    assert len(records) == len(EXAMPLES) * 2  # no row dropped
    flagged = {(r["lang"], r["family"]) for r in records if r.get("not_applicable")}
    assert flagged == {("sw", "codeswitch")}
    variants = read_perturbed_set(records, {(e.lang, e.id): e for e in EXAMPLES})
    assert [i.applicable for i in variants["codeswitch@0.5"]] == [True, False, True]
    clean_pred = {(e.lang, e.id): 1 for e in EXAMPLES}
    rows, metrics = evaluate_perturbations(variants, always_one, code_points, clean_pred)
    assert len(rows) == len(records)
    assert {r["lang"] for r in rows if r.get("not_applicable")} == {"sw"}
    summary = metrics["codeswitch@0.5"]
    assert summary["not_applicable"] == ["sw"]
    assert summary["languages"]["sw"]["accuracy"] is None and summary["languages"]["sw"]["n"] == 1
    assert summary["n_zero_shot"]["accuracy"] == 1  # ru alone
    assert "not_applicable" not in metrics["keyboard@0.5"]


def always_one(examples: list) -> np.ndarray:
    """Predictions of a model that always answers 1."""
    return np.tile([0.2, 0.8], (len(examples), 1))


def code_points(examples: list) -> list[list[int]]:
    """Model inputs that show every change: the code points of each example's texts."""
    return [[ord(c) for text in example_fields(e).values() for c in text] for e in examples]


class NoAttacks:
    """An attacker whose searches find nothing; it records what it was asked to attack."""

    def __init__(self) -> None:
        self.families = build_families(["codeswitch"], Resources(LEXICONS))
        self.asked: list[str] = []

    def attack_many(self, jobs, budget, progress=None, reference_units=None):
        self.asked += [language for _, language, _ in jobs]
        return [None for _ in jobs]


def test_an_attack_without_a_lexicon_is_not_run_and_not_counted_as_robust() -> None:
    attacker = NoAttacks()
    clean_pred = {(e.lang, e.id): e.label for e in EXAMPLES}
    rows = run_attack("codeswitch", attacker, None, EXAMPLES, clean_pred, seed=0)
    assert attacker.asked == ["ru", "en"] and len(rows) == len(EXAMPLES)
    sw = next(r for r in rows if r["lang"] == "sw")
    assert sw["not_applicable"] and not sw["attacked"] and sw["correct"]
    summary = summarize_attack(rows, [0.1])
    assert summary["not_applicable"] == ["sw"]
    assert summary["languages"]["sw"]["accuracy_at_budget"] == {"0.1": None}
    assert summary["n_zero_shot"]["accuracy"] == 1


def test_the_report_names_and_counts_the_languages_left_out() -> None:
    def run(missing: list[str]) -> dict:
        extra = {"not_applicable": missing} if missing else {}
        return {
            "accuracy": {"en": 0.9, "ru": 0.8, "sw": 0.7, "ur": 0.6},
            "perturbations": {"codeswitch@0.1": extra, "keyboard@0.1": {}},
            "attacks": {"codeswitch": extra, "charmer": {}},
        }

    runs = {"none": [run(["sw", "ur"])], "multi": [run(["sw", "ur"])]}
    assert not_applicable(runs) == {"codeswitch": ["sw", "ur"], "attack:codeswitch": ["sw", "ur"]}
    text = "\n".join(not_applicable_lines("xnli", runs))
    assert "### xnli: not applicable" in text
    assert (
        "- codeswitch perturbations: not applicable in 2 of 3 zero-shot languages (sw, ur)" in text
    )
    assert "- codeswitch attack: not applicable in 2 of 3 zero-shot languages (sw, ur)" in text
    assert not_applicable_lines("xnli", {"none": [run([])]}) == []


def test_frame_leaves_out_rows_of_languages_an_attack_does_not_apply_to(tmp_path: Path) -> None:
    from xstilts import paths
    from xstilts.io import write_jsonl
    from xstilts.report.per_example import run_rows

    key = ("none", "xnli", 0)
    write_jsonl(tmp_path / paths.eval_predictions(*key), [])
    write_jsonl(tmp_path / paths.robust_predictions(*key), [])
    write_jsonl(
        tmp_path / paths.attack_manifest(*key),
        [
            {"id": "1", "lang": "ru", "attack": "codeswitch", "correct": False},
            {"id": "2", "lang": "sw", "attack": "codeswitch", "correct": True}
            | {"not_applicable": True},
        ],
    )
    assert [row[3] for row in run_rows(tmp_path, *key)] == ["ru"]


def test_the_lexicons_command_names_the_missing_languages(tmp_path, muse, monkeypatch, capsys):
    """The full profile's `lexicons` stage, end to end: exit 0, the missing ones named."""
    from xstilts.cli import main

    from .test_hub_tasks import full_params

    full_params(tmp_path)  # writes tmp_path/params.yaml (languages en, de, sw, et, zh)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(MuseServer.files, "/en-de.txt", b"dog Hund\n")
    assert main(["lexicons"]) == 0
    out = capsys.readouterr().out
    missing = lexicons_stage.missing_lexicons(tmp_path / "lexicons")
    assert "sw" in missing and "de" not in missing
    total = len(missing) + len(list((tmp_path / "lexicons").glob("en-*.txt")))
    assert f"no dictionary for {', '.join(missing)} ({len(missing)} of {total} languages)" in out
    assert (tmp_path / "lexicons" / "en-de.txt").is_file()


def test_tables_and_plots_show_a_not_applicable_language_as_missing(tmp_path: Path) -> None:
    from xstilts.report.plots import budget_rows, drop_rows, write_plots
    from xstilts.report.robustness import attack_summary, family_table, language_table

    from .test_robustness import attack, row

    def run() -> dict:
        sw = {"not_applicable": True}
        perturbed = [row(0, 1, True, lang="ru"), row(1, 1, False, lang="sw") | sw]
        attacks = [attack(True, 1, lang="ru"), attack(False, attacked=False, lang="sw") | sw]
        return {
            "accuracy": {"en": 1.0, "ru": 1.0, "sw": 1.0},
            "perturbations": {"codeswitch@0.1": summarize_variant(perturbed)},
            "attacks": {"codeswitch": summarize_attack(attacks, [0.1])},
        }

    runs = {"xnli": {"none": [run()], "multi": [run()]}}
    by_condition = runs["xnli"]
    families = family_table("xnli", by_condition)
    assert any(line.startswith("| codeswitch@0.1 | 100.0 | 1 |") for line in families)
    sw = next(line for line in language_table("xnli", by_condition, {}) if "| sw |" in line)
    assert sw.endswith("| - | - |")
    assert any("| none |" in line for line in attack_summary("xnli", by_condition))
    assert {r["language"] for r in drop_rows(runs)} == {"ru"}
    assert budget_rows(runs, {"codeswitch": 1})
    assert write_plots(runs, tmp_path, {"codeswitch": 1})
