"""The Gradio demo: its library (catalogue, input checks, perturbation view, headline numbers) and
the running app called through `gradio_client`, bad inputs included."""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="the demo needs gradio (pip install -e '.[dev]')")
from gradio_client import Client
from gradio_client.exceptions import AppError

from tests.app_support import REPO, app_module, build_demo_root, start_app, write_metrics
from xstilts.demo.catalogue import find_checkpoints, load_catalogue
from xstilts.demo.headline import headline_table
from xstilts.demo.inputs import (
    InputError,
    Limits,
    clean_field,
    guess_language,
    make_input,
    notes_for,
)
from xstilts.demo.perturbview import edit_segments, perturb_example
from xstilts.demo.samples import all_examples
from xstilts.errors import XstiltsError
from xstilts.perturb import Resources, build_family

RU = ("Kofi и Anya барет 2 нюбронвю.", "Kofi и Anya ниет 2 нюбронвю.")
AR = ("يذي Kofi و Anya 2 لهيشيد.", "يثلي Kofi و Anya 2 لهيشيد.")


@pytest.fixture(scope="module")
def demo_root(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_root(small_world, tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def server(demo_root: Path, small_world: Path):
    _, service, demo, url = start_app(demo_root, small_world)
    yield service, demo, url
    demo.close()


@pytest.fixture(scope="module")
def client(server) -> Client:
    return Client(server[2], verbose=False)


def models_of(service, task: str) -> list[str]:
    return [key for _, key in service.model_choices(task)]


def pair(client, service, a, b, task="xnli", api="/compare", **over):
    args = {
        "task": task,
        "models": models_of(service, task),
        "text_a": a,
        "text_b": b,
        "premise": "",
        "question": "cause",
        "choice1": "",
        "choice2": "",
        "language": "auto",
        "family": "char_swap",
        "strength": 0.3,
        "seed": 0,
    } | over
    return client.predict(*args.values(), api_name=api)


# --- catalogue and start-up ------------------------------------------------------------------


def test_catalogue_finds_every_checkpoint_and_skips_unfinished_ones(demo_root: Path) -> None:
    target = demo_root / "models" / "target"
    (target / ".seed1.tmp123").mkdir()  # an interrupted stage's temp dir
    catalogue = load_catalogue(target)
    assert catalogue.tasks() == ["pawsx", "xcopa", "xnli"]
    assert sorted(m.label for m in catalogue.for_task("xnli")) == ["multi · seed0", "none · seed0"]
    assert catalogue.get("multi/xcopa/seed0").labels == ()
    assert load_catalogue(target, tasks=["pawsx"], conditions=["none"]).tasks() == ["pawsx"]
    shutil.rmtree(target / ".seed1.tmp123")


def test_missing_or_corrupt_checkpoints_stop_start_up_naming_the_path(
    demo_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(XstiltsError, match=r"model directory .*nowhere does not exist"):
        load_catalogue(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(XstiltsError, match="no target-task checkpoints under"):
        load_catalogue(tmp_path / "empty")

    source = demo_root / "models" / "target" / "none" / "xnli" / "seed0"
    broken = tmp_path / "broken" / "none" / "xnli" / "seed0"
    shutil.copytree(source, broken)
    (broken / "heads.safetensors").write_bytes(b"garbage")
    with pytest.raises(XstiltsError, match=r"checkpoint .*broken/none/xnli/seed0 is missing or"):
        load_catalogue(tmp_path / "broken")

    # weights only as a pickle: refused, never unpickled
    pickled = tmp_path / "pickled" / "none" / "xnli" / "seed0"
    shutil.copytree(source, pickled)
    (pickled / "encoder" / "model.safetensors").rename(pickled / "encoder" / "pytorch_model.bin")
    with pytest.raises(
        XstiltsError,
        match=r"pickled/none/xnli/seed0/encoder is missing or corrupt.*no file named "
        r"model.safetensors",
    ):
        load_catalogue(tmp_path / "pickled")

    no_meta = tmp_path / "nometa" / "x"
    shutil.copytree(source, no_meta)
    (no_meta / "meta.json").unlink()
    with pytest.raises(XstiltsError, match=r"nometa/x has no meta.json"):
        load_catalogue(tmp_path / "nometa")

    # the command line turns it into one line and exit status 2, before any server starts
    assert app_module()["main"](["--models", str(tmp_path / "broken")]) == 2
    err = capsys.readouterr().err
    assert "broken/none/xnli/seed0 is missing or corrupt" in err and "Traceback" not in err


def test_find_checkpoints_ignores_base_models_without_heads(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "meta.json").write_text(json.dumps({"stage": "base"}), encoding="utf-8")
    assert find_checkpoints(tmp_path) == []


# --- input checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is empty"),
        ("   \n ", "is empty"),
        (None, "is empty"),
        ("x" * 1001, "1,001 characters long; the limit is 1,000"),
        ("a\x00b", "control character U+0000 at offset 1"),
        ("bell\x07", "control character U+0007"),
        ("abc\u202eevil", "bidirectional control character U+202E"),
        ("bad \ud800 text", "lone surrogate"),
        (42, "expected text, got int"),
    ],
)
def test_bad_fields_get_a_clear_message(value: object, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        clean_field("Premise", value, max_chars=1000)


def test_mixed_scripts_and_right_to_left_text_are_accepted_with_a_note() -> None:
    assert clean_field("A", "  line one\r\nline two\t", 1000) == "line one\nline two"
    notes = notes_for(list(AR))
    assert any("mixes scripts (Arabic, Latin)" in n for n in notes)
    assert any("right-to-left" in n for n in notes)
    assert notes_for(["Ο σκύλος κοιμάται."]) == []
    request = make_input("xnli", {"text_a": AR[0], "text_b": AR[1]}, "auto", Limits())
    assert request.language == "ar" and len(request.notes) == 2


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Kofi and Anya carry 2 bananas.", "en"),
        ("Kofi và Anya chễi 2 mịt xẫng.", "vi"),
        (RU[0], "ru"),
        (AR[0], "ar"),
        ("Kofi और Anya 2 श्रूं प्रेंनीता है।", "hi"),
        ("Kofi和Anya小2个巴纳纳。", "zh"),
        ("הילדה קוראת ספר", "he"),
        ("ნინო და გიორგი", "ka"),
    ],
)
def test_auto_language_follows_the_script(text: str, language: str) -> None:
    assert guess_language([text]) == language


def test_other_request_values_are_checked() -> None:
    with pytest.raises(InputError, match="'cause' or 'effect'"):
        make_input(
            "xcopa",
            {"premise": "p", "question": "why", "choice1": "a", "choice2": "b"},
            "en",
            Limits(),
        )
    with pytest.raises(InputError, match="not a language code"):
        make_input("xnli", {"text_a": "a", "text_b": "b"}, "../etc", Limits())
    with pytest.raises(XstiltsError, match="unknown task"):
        make_input("nope", {}, "en", Limits())


# --- perturbation view, examples, headline ------------------------------------------------------


def test_highlighted_segments_rebuild_the_perturbed_text() -> None:
    family = build_family("char_swap", Resources())
    request = make_input("xnli", {"text_a": RU[0], "text_b": RU[1]}, "auto", Limits())
    view = perturb_example(request.example, family, 0.5, seed=3)
    again = perturb_example(request.example, family, 0.5, seed=3)
    assert view.perturbed == again.perturbed and view.n_edits > 0
    for key, perturbed in view.fields.items():
        clean = getattr(request.example, key)
        rebuilt = "".join(
            t for t, kind in edit_segments(clean, perturbed.edits) if kind != "deleted"
        )
        assert rebuilt == perturbed.text


def test_edit_segments_make_invisible_and_deleted_text_visible() -> None:
    from xstilts.perturb import Edit

    segments = edit_segments("ab cd", (Edit(1, 1, "\u200b"), Edit(2, 3, ""), Edit(4, 5, "x")))
    assert segments == [
        ("a", None),
        ("⟨U+200B⟩", "inserted"),
        ("b", None),
        ("␣", "deleted"),
        ("c", None),
        ("x", "replaced"),
    ]


def test_examples_cover_many_scripts_and_copy_the_sample_world_verbatim() -> None:
    examples = all_examples()
    languages = {row["language"] for rows in examples.values() for row in rows}
    assert {"en", "vi", "ru", "ar", "hi", "zh", "el", "he", "th", "ja", "ko"} <= languages
    for task, rows in examples.items():
        for row in rows:
            make_input(task, row["fields"], row["language"], Limits())  # every one is valid
            if row["source"] == "hand-written":
                continue
            path, line = row["source"].rsplit(":", 1)
            if not (REPO / path).exists():
                pytest.skip("data/ not pulled (`dvc pull data.dvc`)")
            record = json.loads(
                (REPO / path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
            )
            assert set(row["fields"].values()) <= {v for v in record.values() if isinstance(v, str)}


def test_headline_reads_clean_and_robustness_numbers_gracefully(
    demo_root: Path, tmp_path: Path
) -> None:
    header, rows, note = headline_table(demo_root / "metrics", "xnli", ["none", "multi"], [0])
    assert header == ["metric", "none", "multi"] and "mean over 1 seed(s)" in note
    table = {row[0]: row[1:] for row in rows}
    assert table["clean accuracy · en"] == ["50.0", "60.0"]
    assert table["perturbed char_swap@0.1 · accuracy (zero-shot)"] == ["30.0", "40.0"]
    assert table["perturbed char_swap@0.1 · drop on all inputs (zero-shot)"] == ["5.0", "5.0"]
    # the report's drop; undefined (no effective input) for `none`: null, shown as "–"
    assert table["perturbed char_swap@0.1 · drop on effective inputs (zero-shot)"] == ["–", "8.0"]
    assert table["attack typo · success rate (zero-shot)"] == ["40.0", "40.0"]
    assert table["attack typo · mean queries (zero-shot)"] == ["57.5", "57.5"]
    assert table["extra · score"] == ["50.0", "50.0"]
    assert not any(name.endswith("· ru") for name in table)  # per-language detail: the report
    # a run listed but missing, or a corrupt file, is skipped; no metrics at all is a note
    (tmp_path / "evaluate" / "none" / "xnli").mkdir(parents=True)
    (tmp_path / "evaluate" / "none" / "xnli" / "seed0.json").write_text("{not json")
    assert headline_table(tmp_path, "xnli")[1] == []
    assert "No evaluation metrics for xnli" in headline_table(tmp_path, "xnli")[2]


def test_headline_says_when_a_value_is_undefined_in_some_seeds(tmp_path: Path) -> None:
    """A drop with no effective input is null: "–" where no seed defines it, and the seeds it
    is over where only some do."""
    write_metrics(tmp_path, "none", "xnli", 0.5)  # drop on effective inputs: null
    write_metrics(tmp_path, "multi", "xnli", 0.6)  # 0.08
    folder = tmp_path / "evaluate" / "multi" / "xnli"
    run = json.loads((folder / "seed0.json").read_text(encoding="utf-8"))
    run["seed"] = 1
    run["perturbations"]["char_swap@0.1"]["mean_zero_shot"]["drop_effective"] = None
    (folder / "seed1.json").write_text(json.dumps(run), encoding="utf-8")
    _, rows, _ = headline_table(tmp_path, "xnli", ["none", "multi"])
    table = {row[0]: row[1:] for row in rows}
    name = "perturbed char_swap@0.1 · drop on effective inputs (zero-shot)"
    assert table[name] == ["–", "8.0 (1 of 2 seeds)"]
    assert table["perturbed char_swap@0.1 · drop on all inputs (zero-shot)"] == ["5.0", "5.0 ± 0.0"]


# --- the running app ---------------------------------------------------------------------------


def test_server_is_private_and_bounded(server) -> None:
    _, demo, url = server
    assert url.startswith("http://127.0.0.1:")
    assert not demo.share and demo.share_url is None
    assert demo.run_history is False
    assert demo._queue.max_size == 64 and demo._queue.default_concurrency_limit == 2
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url + "monitoring", timeout=10)


def test_compare_shows_every_model_clean_and_perturbed(client: Client, server) -> None:
    service = server[0]
    status, highlighted, table = pair(client, service, *RU)
    assert "⚠️" not in status and "char_swap:" in status
    assert "mixes scripts" in status and "Prediction changed for" in status
    assert {row[0] for row in table["data"]} == {"none · seed0", "multi · seed0"}
    for row in table["data"]:
        assert row[1].split(" (")[0] in ("entailment", "neutral", "contradiction")
        assert row[3] in ("⚠ changed", "= same")
        assert row[4] in ("effective", "erased by the tokenizer")
    kinds = {seg["class_or_confidence"] for seg in highlighted}
    assert kinds & {"replaced", "inserted", "deleted"}
    # the same seed gives the same perturbation; another seed may differ
    assert pair(client, service, *RU)[1] == highlighted


def test_compare_on_a_copa_item(client: Client, server) -> None:
    service = server[0]
    status, _, table = client.predict(
        "xcopa", models_of(service, "xcopa"), "", "", "Olga روضا.", "effect",
        "يحيب Olga الماب.", "يعيسن Olga الشيرت.", "ar", "keyboard", 0.3, 1,
        api_name="/compare",
    )  # fmt: skip
    assert "⚠️" not in status and "right-to-left" in status
    assert len(table["data"]) == 2 and all("choice" in row[1] for row in table["data"])


def test_perturb_reports_per_model_whether_the_tokenizer_sees_it(client: Client, server) -> None:
    service = server[0]
    status, highlighted, table = pair(client, service, *RU, api="/perturb", family="invisible")
    assert any(seg["class_or_confidence"] == "inserted" for seg in highlighted)
    assert table["headers"] == ["model", "tokenizer sees the perturbation?"]
    assert {row[1] for row in table["data"]} <= {"effective", "erased by the tokenizer", "no edit"}
    assert "⚠️" not in status
    status, _, _ = pair(client, service, "Mei 很 好", "Mei 好", api="/perturb", family="keyboard",
                        language="xx")  # fmt: skip
    assert "nothing for language 'xx'" in status


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"text_a": ""}, "is empty"),
        ({"text_a": "x" * 200_000}, "200,000 characters long"),
        ({"text_b": "nul\x00byte"}, "control character U+0000"),
        ({"text_a": "abc\u202edef"}, "bidirectional control"),
        ({"models": []}, "no model selected"),
        ({"models": ["multi/xcopa/seed0"]}, "do not serve xnli"),
        # gradio refuses these before the handler runs, with a message of its own
        ({"family": "nope"}, "Value: nope is not in the list of choices"),
        ({"strength": 1.5}, "Value 1.5 is greater than maximum value 1.0"),
        ({"seed": -3}, "Value -3 is less than minimum value 0"),
        ({"task": "mnli"}, "Value: mnli is not in the list of choices"),
    ],
)
def test_bad_requests_sent_to_the_api_get_a_message_not_a_traceback(
    client: Client, server, over: dict, message: str
) -> None:
    fields = {"text_a": RU[0], "text_b": RU[1]} | over
    a, b = fields.pop("text_a"), fields.pop("text_b")
    try:
        status, highlighted, table = pair(client, server[0], a, b, **fields)
    except AppError as err:  # gradio's own check of a component's range or choices
        assert message in str(err) and "Traceback" not in str(err)
        return
    assert status.startswith("⚠️") and message in status
    assert "Traceback" not in status and highlighted == [] and table["data"] in ([], [[""] * 7])


def test_the_service_checks_what_gradio_checks_too(server) -> None:
    """Values the page's widgets constrain are checked again by the library (other callers)."""
    service = server[0]
    request = service.parse("xnli", {"text_a": RU[0], "text_b": RU[1]}, "auto")
    keys = models_of(service, "xnli")
    for args, message in [
        (("nope", 0.2, 0), "unknown perturbation family 'nope'"),
        (("char_swap", 1.5, 0), "strength must be between 0 and 1"),
        (("char_swap", float("nan"), 0), "strength must be a number"),
        (("char_swap", 0.2, -3), "seed must be a whole number"),
        (("char_swap", 0.2, 2.5), "seed must be a whole number"),
    ]:
        with pytest.raises(InputError, match=re.escape(message)):
            service.compare(request, keys, *args)
    with pytest.raises(InputError, match="task 'mnli' has no loaded model"):
        service.parse("mnli", {"text_a": "a", "text_b": "b"}, "en")
    with pytest.raises(InputError, match=re.escape("at most 32")):
        service.compare(request, keys * 20, "char_swap", 0.2, 0)


def test_headline_endpoint(client: Client) -> None:
    result = client.predict("xnli", api_name="/headline")
    assert "mean over 1 seed(s)" in result["note"]
    assert result["header"] == ["metric", "multi", "none"]
    names = [row[0] for row in result["rows"]]
    assert (
        "clean accuracy · zero-shot mean" in names
        and "attack typo · success rate (zero-shot)" in names
    )


def test_concurrent_requests_are_all_answered(client: Client, server) -> None:
    service = server[0]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda seed: pair(client, service, *RU, seed=seed), range(12)))
    assert all(len(r[2]["data"]) == 2 and "⚠️" not in r[0] for r in results)


def test_attack_runs_against_every_model_within_the_budget(client: Client, server) -> None:
    service = server[0]
    status, highlighted, table = client.predict(
        "xnli", models_of(service, "xnli"), *RU, "", "cause", "", "", "auto",
        0.3, 40, 1, 4, [], 0, api_name="/attack",
    )  # fmt: skip
    assert "⚠️" not in status and "Attack flipped" in status
    assert {row[0] for row in table["data"]} == {"none · seed0", "multi · seed0"}
    for row in table["data"]:
        assert row[3] in ("✔ flipped", "✘ held")
        assert 0 < int(row[4]) <= 40
    assert any(seg["token"] == "— none · seed0 —\n" for seg in highlighted)
    with pytest.raises(AppError, match="greater than maximum value 2000"):
        client.predict(
            "xnli", models_of(service, "xnli"), *RU, "", "cause", "", "", "auto",
            0.3, 10**6, 1, 4, [], 0, api_name="/attack",
        )  # fmt: skip


def test_attack_budget_and_families_are_checked_by_the_service(server) -> None:
    from xstilts.demo.service import AttackSettings

    service = server[0]
    request = service.parse("xnli", {"text_a": RU[0], "text_b": RU[1]}, "ru")
    keys = models_of(service, "xnli")
    for settings, message in [
        (AttackSettings(max_queries=10**6), "max queries must be a whole number from 1 to 2000"),
        (AttackSettings(max_unit_fraction=0.0), "unit budget must be above 0"),
        (AttackSettings(beam_width=0), "beam width"),
        (AttackSettings(families=("nope",)), "unknown perturbation families"),
    ]:
        with pytest.raises(InputError, match=message):
            service.attack(request, keys, settings, 0)
    other = service.parse("xnli", {"text_a": RU[0], "text_b": RU[1]}, "xx")
    with pytest.raises(InputError, match="supports language 'xx'"):
        service.attack(other, keys, AttackSettings(families=("keyboard",)), 0)
