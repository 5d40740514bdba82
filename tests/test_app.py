"""The Gradio demo: its library (catalogue, input checks, perturbation view, headline numbers) and
the running app called through `gradio_client`, bad inputs included."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import threading
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
from xstilts.demo.guide import guide_markdown, header_markdown, report_markdown
from xstilts.demo.headline import headline_table
from xstilts.demo.inputs import (
    InputError,
    Limits,
    clean_field,
    guess_language,
    make_input,
    notes_for,
)
from xstilts.demo.perturbview import perturb_example
from xstilts.demo.ready_examples import all_examples, example_labels, example_rows
from xstilts.demo.render import (
    clean_line,
    diff_html,
    field_diffs,
    message_html,
    perturbed_line,
    table_html,
)
from xstilts.errors import XstiltsError
from xstilts.examples import PairExample
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


def pair(client, service, a, b, task="xnli", api="/compare", **over) -> dict:
    """One API call with named parameters (those the task does not use are left out)."""
    args = {
        "task": task,
        "models": models_of(service, task),
        "text_a": a,
        "text_b": b,
        "language": "auto",
        "family": "char_swap",
        "strength": 0.3,
        "seed": 0,
    } | over
    return client.predict(**args, api_name=api)


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


def test_the_diff_rebuilds_both_texts_and_shows_what_was_replaced() -> None:
    family = build_family("char_swap", Resources())
    request = make_input("xnli", {"text_a": RU[0], "text_b": RU[1]}, "auto", Limits())
    view = perturb_example(request.example, family, 0.5, seed=3)
    again = perturb_example(request.example, family, 0.5, seed=3)
    assert view.perturbed == again.perturbed and view.n_edits > 0
    diffs = field_diffs(view.clean, {k: p.edits for k, p in view.fields.items()})
    for diff in diffs:
        assert diff.perturbed == view.fields[diff.key].text
        record = diff.as_dict()
        for edit in record["edits"]:  # the old text of every replacement is named
            assert edit["old"] == diff.clean[edit["start"] : edit["end"]] and edit["new"]
        page = diff_html([diff])
        assert html.unescape(re.sub(r"<[^>]+>", "", clean_line(diff))) == diff.clean
        assert html.unescape(re.sub(r"<[^>]+>", "", perturbed_line(diff))) == diff.perturbed
        assert page.count('dir="auto"') == 2  # clean and perturbed: each its own bidi run


def test_the_diff_draws_invisible_and_deleted_text_and_escapes_markup() -> None:
    from xstilts.perturb import Edit

    text = "ab cd <b>"
    edits = (Edit(1, 1, "\u200b"), Edit(2, 3, ""), Edit(4, 5, "x"))
    (diff,) = field_diffs(PairExample("d", "en", text, "", 0), {"text_a": edits})[:1]
    assert diff.perturbed == "a\u200bbcx <b>"
    assert clean_line(diff) == (
        'ab<span class="xs-removed">␣</span>c<span class="xs-removed">d</span> &lt;b&gt;'
    )
    assert perturbed_line(diff) == (
        'a<span class="xs-inserted">⟨U+200B⟩</span>bc<span class="xs-replaced">x</span> &lt;b&gt;'
    )
    hostile = '<img src=x onerror="alert(1)"><form><input>'
    for markup in (
        message_html(hostile),
        table_html(["a"], [[hostile]]),
        diff_html(field_diffs(PairExample("d", "en", hostile, hostile, 0), {}), hostile),
    ):
        assert "<img" not in markup and "<form" not in markup and "&lt;img" in markup


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


def test_headline_shows_rsda_conditions_and_still_refuses_paths(tmp_path: Path) -> None:
    """An RS-DA condition's name holds a "+" (a plain path part); a path still reads nothing."""
    write_metrics(tmp_path, "none", "xnli", 0.5)
    write_metrics(tmp_path, "none+rsda", "xnli", 0.6)
    header, rows, _ = headline_table(tmp_path, "xnli", ["none", "none+rsda"], [0])
    assert header[1:] == ["none", "none+rsda"] and rows
    for name in ("../none", "none/../../x", "/etc"):
        assert headline_table(tmp_path, "xnli", [name], [0])[1] == []


# --- the running app ---------------------------------------------------------------------------


def test_server_is_private_and_bounded(server) -> None:
    _, demo, url = server
    assert url.startswith("http://127.0.0.1:")
    assert not demo.share and demo.share_url is None
    assert demo.run_history is False
    assert demo._queue.max_size == 64 and demo._queue.default_concurrency_limit == 2
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url + "monitoring", timeout=10)


def test_the_api_is_seven_named_endpoints_with_named_outputs(client: Client) -> None:
    api = client.view_api(return_format="dict", print_info=False)
    assert sorted(api["named_endpoints"]) == [
        "/answer",
        "/attack",
        "/compare",
        "/headline",
        "/perturb",
        "/retrieve",
        "/tag",
    ]
    assert not api["unnamed_endpoints"]  # the page's own events are private
    compare = api["named_endpoints"]["/compare"]["parameters"]
    assert [p["parameter_name"] for p in compare][:4] == ["task", "models", "text_a", "text_b"]
    assert all(p["parameter_has_default"] for p in compare[1:])  # only the task is required
    with pytest.raises(ValueError, match="Cannot find a function with `api_name`"):
        client.predict("xnli", api_name="/on_task")


def test_compare_shows_every_model_clean_and_perturbed(client: Client, server) -> None:
    service = server[0]
    result = pair(client, service, *RU)
    assert set(result) == {"message", "language", "fields", "predictions"}
    assert "⚠️" not in result["message"] and "char_swap:" in result["message"]
    assert "mixes scripts" in result["message"] and "Prediction changed for" in result["message"]
    assert "guessed from the script" in result["message"] and result["language"] == "ru"
    table = result["predictions"]
    assert table["headers"][:3] == ["model", "clean prediction", "perturbed prediction"]
    assert {row[0] for row in table["rows"]} == {"none · seed0", "multi · seed0"}
    for row in table["rows"]:
        assert row[1].split(" (")[0] in ("entailment", "neutral", "contradiction")
        assert row[3] in ("⚠ changed", "= same")
        assert row[4] in ("effective", "erased by the tokenizer")
    assert [f["field"] for f in result["fields"]] == ["text_a", "text_b"]
    edits = [e for f in result["fields"] for e in f["edits"]]
    assert edits and all(e["kind"] == "replaced" and e["old"] and e["new"] for e in edits)
    # the same seed gives the same perturbation
    assert pair(client, service, *RU)["fields"] == result["fields"]


def test_compare_on_a_copa_item(client: Client, server) -> None:
    result = client.predict(
        task="xcopa", premise="Olga روضا.", question="effect", choice1="يحيب Olga الماب.",
        choice2="يعيسن Olga الشيرت.", language="ar", family="keyboard", strength=0.3, seed=1,
        api_name="/compare",
    )  # fmt: skip
    assert "⚠️" not in result["message"] and "right-to-left" in result["message"]
    rows = result["predictions"]["rows"]
    assert len(rows) == 2 and all("choice" in row[1] for row in rows)


def test_perturb_reports_per_model_whether_the_tokenizer_sees_it(client: Client, server) -> None:
    service = server[0]
    result = pair(client, service, *RU, api="/perturb", family="invisible")
    assert any(e["kind"] == "inserted" for f in result["fields"] for e in f["edits"])
    assert result["tokenizer"]["headers"] == ["model", "tokenizer sees the perturbation?"]
    assert {row[1] for row in result["tokenizer"]["rows"]} <= {
        "effective",
        "erased by the tokenizer",
        "no edit",
    }
    assert "⚠️" not in result["message"]
    result = pair(client, service, "Mei 很 好", "Mei 好", api="/perturb", family="keyboard",
                  language="xx")  # fmt: skip
    assert "nothing for language 'xx'" in result["message"]


def test_a_script_the_models_never_saw_is_explained(client: Client, server) -> None:
    """Thai is not in the sample world: its letters are unknown tokens, which the page says."""
    result = client.predict(
        task="xcopa", premise="ถนนเปียก", question="cause", choice1="ฝนตก", choice2="แดดออก",
        family="char_swap", api_name="/compare",
    )  # fmt: skip
    assert "unknown to the tokenizer" in result["message"]
    assert "cannot read this script" in result["message"]
    assert "pretraining saw ar, en, hi, ru, vi, zh" in result["message"]
    english = pair(client, server[0], "Kofi and Anya carry 2 bananas.", "Kofi carries bananas.")
    assert "unknown to the tokenizer" not in english["message"]


# --- hostile requests: every one answered with a message that names the field ----------------

TEXT = {"text_a": RU[0], "text_b": RU[1]}
BAD_VALUES = [None, 1.5, -3, float("nan"), 1e300, "0.5", "", "x" * 5000, [1], {"a": 1}, True]
HOSTILE: list[tuple[str, dict, str]] = [
    ("task", {"task": v}, "task") for v in (None, 7, "mnli", "/etc", "../../x", ["xnli"], {})
] + [
    ("models", {"models": v}, "model") for v in (123, "nope", [1], [None], ["x"] * 40, {"a": 1})
] + [
    ("models", {"models": []}, "no model selected"),
    ("text_a", {"text_a": 5}, "Sentence 1"),
    ("text_a", {"text_a": ["a"]}, "Sentence 1"),
    ("text_a", {"text_a": {"a": 1}}, "Sentence 1"),
    ("text_a", {"text_a": ""}, "Sentence 1 / premise is empty"),
    ("text_a", {"text_a": "x" * 200_000}, "200,000 characters long"),
    ("text_a", {"text_a": "\u200d\u200d\u200d"}, "no visible character"),
    ("text_a", {"text_a": "\u200b\ufeff"}, "no visible character"),
    ("text_a", {"text_a": "\u0301"}, "no visible character"),
    ("text_a", {"text_a": "abc\u202edef"}, "bidirectional control"),
    ("text_b", {"text_b": "nul\x00byte"}, "control character U+0000"),
    ("text_b", {"text_b": "bad \ud800"}, "lone surrogate"),
    ("text_b", {"text_b": None}, "Sentence 2 / hypothesis is empty"),
    ("language", {"language": "<img src=x onerror=alert(1)>"}, "language"),
    ("language", {"language": 3}, "language"),
    ("language", {"language": "../etc"}, "language"),
] + [
    ("strength", {"strength": v}, "strength") for v in BAD_VALUES if v not in ("",)
] + [
    ("seed", {"seed": v}, "seed") for v in (-3, 2.5, float("nan"), 1e400, "0", None, [0], 2**40)
] + [
    ("family", {"family": v}, "perturbation family") for v in ("nope", None, 3, ["char_swap"])
]  # fmt: skip


def raw_call(url: str, api: str, values: dict) -> tuple[str, str]:
    """One request as any HTTP client may send it (NaN, infinity and lone surrogates
    included, which gradio_client refuses to encode): (event, data) of the answer."""
    with urllib.request.urlopen(f"{url}gradio_api/info", timeout=30) as answer:
        params = json.loads(answer.read())["named_endpoints"][api]["parameters"]
    data = [values.get(p["parameter_name"], p["parameter_default"]) for p in params]
    body = json.dumps({"data": data}).encode()  # ensure_ascii, NaN allowed: as Python sends it
    request = urllib.request.Request(
        f"{url}gradio_api/call{api}", body, {"Content-Type": "application/json"}
    )
    event = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call{api}/{event}", timeout=120) as answer:
        text = answer.read().decode()
    kind = re.search(r"event: (\w+)", text).group(1)
    payload = json.loads(text.split("data:", 1)[1].strip())
    return kind, payload["error"] if kind == "error" else payload


def _message(url: str, api: str, values: dict) -> str:
    """The error message a client gets for a rejected request."""
    kind, message = raw_call(url, api, values)
    assert kind == "error" and isinstance(message, str), (values, kind, message)
    return message


@pytest.mark.parametrize("api", ["/compare", "/perturb"])
def test_hostile_requests_to_compare_and_perturb_get_a_message_naming_the_field(
    client: Client, server, api: str
) -> None:
    assert len(HOSTILE) >= 40
    for field, over, expected in HOSTILE:
        args = {"task": "xnli", "models": models_of(server[0], "xnli"), **TEXT} | over
        message = _message(server[2], api, args)
        assert expected in message, (field, over, message)
        assert "Traceback" not in message and len(message) < 600


def test_hostile_requests_to_attack_get_a_message_naming_the_field(client: Client, server) -> None:
    keys = models_of(server[0], "xnli")
    cases = [(o, m) for f, o, m in HOSTILE if f not in ("strength", "family")] + [
        ({"max_unit_fraction": v}, "max unit fraction") for v in (float("nan"), "0.5", None, 2)
    ] + [
        ({"max_unit_fraction": 0.0}, "unit budget must be above 0"),
        ({"max_queries": 10**6}, "max queries"),
        ({"max_queries": "10"}, "max queries"),
        ({"beam_width": 0}, "beam width"),
        ({"beam_width": float("inf")}, "beam width"),
        ({"candidates_per_unit": -1}, "candidates per unit"),
        ({"families": ["nope"]}, "unknown perturbation families"),
        ({"families": "keyboard"}, "families must be a list"),
        ({"families": [3]}, "families must be a list"),
    ]  # fmt: skip
    assert len(cases) >= 40
    for over, expected in cases:
        args = {"task": "xnli", "models": keys, **TEXT, "max_queries": 10} | over
        message = _message(server[2], "/attack", args)
        assert expected in message, (over, message)


def test_hostile_requests_to_headline_get_a_message_and_read_no_other_file(
    client: Client, server, demo_root: Path, tmp_path: Path
) -> None:
    """The task name becomes part of a path under metrics/: nothing else is ever read."""
    secret = tmp_path / "elsewhere" / "evaluate" / "none" / "loot"
    secret.mkdir(parents=True)
    (secret / "seed0.json").write_text(json.dumps({"accuracy": {"en": 0.123}, "SECRET": 1.0}))
    metrics = demo_root / "metrics"
    probes = [
        str(secret), str(secret.parent.parent.parent), "../../../../" + str(tmp_path),
        os.path.relpath(secret, metrics / "evaluate" / "none"), "/etc/passwd", "..", ".",
        "xnli/../../../x", "xnli\x00", "XNLI", " xnli", "xnli ", "x" * 1_000_000, "", None, 1, 1.5,
        True, [], ["xnli"], {"task": "xnli"}, "loot", "mnli", "xnli;rm", "%2e%2e", "~", "xnli/",
        "xnli\\..\\..", "\u202exnli", "ｘｎｌｉ", "xnli\n", "$HOME", "*", "?", "seed0.json",
        "evaluate", "none/xnli", "C:\\x", "file:///etc", "http://127.0.0.1:9/",
    ]  # fmt: skip
    assert len(probes) >= 40
    for probe in probes:
        message = _message(server[2], "/headline", {"task": probe})
        assert "task" in message and "SECRET" not in message and len(message) < 300
    assert client.predict("xnli", api_name="/headline")["rows"]
    # the library refuses the same, below the service
    with pytest.raises(ValueError, match="not a task name"):
        headline_table(metrics, "../../x")


def test_a_wrong_number_of_values_is_a_message_naming_the_parameters(server) -> None:
    """Raw HTTP, as any client may send it: too few values, too many, none at all."""
    url = server[2]

    def call(data: list) -> str:
        body = json.dumps({"data": data}).encode()
        request = urllib.request.Request(
            url + "gradio_api/call/compare", body, {"Content-Type": "application/json"}
        )
        event = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
        with urllib.request.urlopen(url + f"gradio_api/call/compare/{event}", timeout=60) as r:
            return r.read().decode()

    assert '"/compare needs task' in call([])
    assert "takes at most 12 values (task, models, text_a" in call(["xnli"] + [None] * 20)
    answer = call(["xnli", None, RU[0], RU[1]])  # the rest take their defaults
    assert "event: complete" in answer and "Prediction changed" in answer


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


# --- concurrency ---------------------------------------------------------------------------------

LONG = ("Kofi и Anya барет 2 нюбронвю. " * 40)[:990]  # far more tokens than the models' 128


def test_concurrent_requests_never_let_an_input_through_untruncated(server) -> None:
    """The tokenizer check of one request (no truncation) and another's prediction
    (truncated to the model's length) share a fast tokenizer, whose truncation setting every
    call rewrites: unless both hold the checkpoint's lock, a batch goes in untruncated and the
    embedding lookup fails ("index 130 is out of bounds"). Before the fix, 1-3% of such
    requests failed."""
    service = server[0]
    keys = models_of(service, "xnli")
    request = service.parse("xnli", {"text_a": LONG, "text_b": LONG}, "auto")
    errors: list[str] = []

    def work(worker: int) -> None:
        for step in range(25):
            try:
                if (worker + step) % 2:
                    service.compare(request, keys, "char_swap", 0.2, step)
                else:
                    service.perturb(request, keys, "invisible", 0.2, step)
            except Exception as err:
                errors.append(repr(err)[:200])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_api_requests_are_all_answered_or_told_the_queue_is_full(server) -> None:
    """Many clients at once, over HTTP to 127.0.0.1: every request is answered, none with an
    internal error; beyond the queue's bound the answer is the queue's own refusal."""
    service, _, url = server
    args = {"task": "xnli", "models": models_of(service, "xnli"), "text_a": LONG, "text_b": LONG}

    def one(seed: int) -> str:
        try:
            result = Client(url, verbose=False).predict(
                **args, family="invisible" if seed % 2 else "char_swap", seed=seed,
                api_name="/compare",
            )  # fmt: skip
            return "answered" if len(result["predictions"]["rows"]) == 2 else "wrong"
        except Exception as err:
            return "queue full" if "queue is full" in str(err).lower() else f"error: {err}"

    with ThreadPoolExecutor(max_workers=48) as pool:
        outcomes = list(pool.map(one, range(120)))
    counts = {o: outcomes.count(o) for o in set(outcomes)}
    assert set(counts) <= {"answered", "queue full"}, counts
    assert counts.get("answered", 0) >= 64, counts


# --- the attack ----------------------------------------------------------------------------------


def test_attack_runs_against_every_model_within_the_budget(client: Client, server) -> None:
    service = server[0]
    result = client.predict(
        task="xnli", models=models_of(service, "xnli"), **TEXT, max_unit_fraction=0.3,
        max_queries=40, api_name="/attack",
    )  # fmt: skip
    assert "⚠️" not in result["message"] and "Attack flipped" in result["message"]
    table = result["results"]
    assert table["headers"][-2:] == ["families used", "edits (clean → adversarial)"]
    assert {row[0] for row in table["rows"]} == {"none · seed0", "multi · seed0"}
    for row in table["rows"]:
        assert row[3] in ("✔ flipped", "✘ held")
        assert 0 < int(row[4]) <= 40
        assert row[6] in service.family_names() or "×" in row[6] or "·" in row[6]
        assert "→" in row[7] and "Sentence" in row[7]
    assert {v["model"] for v in result["adversarial"]} == {"none · seed0", "multi · seed0"}


def test_attack_budget_and_families_are_checked_by_the_service(server) -> None:
    from xstilts.demo.service import AttackSettings

    service = server[0]
    request = service.parse("xnli", {"text_a": RU[0], "text_b": RU[1]}, "ru")
    keys = models_of(service, "xnli")
    for settings, message in [
        (AttackSettings(max_queries=10**6), "max queries must be a whole number from 1 to 2000"),
        (AttackSettings(max_unit_fraction=0.0), "unit budget must be above 0"),
        (AttackSettings(max_unit_fraction=float("nan")), "max unit fraction must be a number"),
        (AttackSettings(beam_width=0), "beam width"),
        (AttackSettings(families=("nope",)), "unknown perturbation families"),
    ]:
        with pytest.raises(InputError, match=message):
            service.attack(request, keys, settings, 0)
    other = service.parse("xnli", {"text_a": RU[0], "text_b": RU[1]}, "xx")
    with pytest.raises(InputError, match="supports language 'xx'"):
        service.attack(other, keys, AttackSettings(families=("keyboard",)), 0)


# --- what the page tells a reader ----------------------------------------------------------------


def test_the_page_says_which_models_these_are_and_what_every_choice_means(server) -> None:
    service = server[0]
    models = list(service.catalogue.models.values())
    header = header_markdown(models, Path("reports/REPORT.md"))
    assert "sample world's tiny encoder" in header and "1 layer of width 32" in header
    assert "say nothing about XLM-R" in header and "made-up pseudo-words" in header
    assert "**Report** tab (`reports/REPORT.md`)" in header
    guide = guide_markdown(service.condition_table(), service.family_instances())
    for condition in ("none", "multi"):
        assert sum(line.startswith(f"- `{condition}`:") for line in guide.splitlines()) == 1
    assert "QQP + MNLI + RACE mixed" in guide
    for name in service.family_names():
        (line,) = [x for x in guide.splitlines() if x.startswith(f"- `{name}`")]
        assert len(line) > len(name) + 20  # the family's own one-line description
    assert "Strength (unit share)" in guide


def test_the_report_tab_names_figures_it_does_not_serve(tmp_path: Path) -> None:
    report = tmp_path / "REPORT.md"
    report.write_text("# Results\n\n![accuracy](figures/acc.png)\n", encoding="utf-8")
    shown = report_markdown(report)
    assert "# Results" in shown and "![" not in shown and "figures/acc.png" in shown
    assert "No report yet" in report_markdown(tmp_path / "missing.md")


def test_the_help_ends_its_sentences(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        app_module()["parse_args"](["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "see each intermediate-training condition's model predict the clean and the " \
        "perturbed input side by side" in text  # fmt: skip
    assert "A rejected request is a Gradio error whose message names the field." in text


def test_examples_reset_the_language_to_auto(server) -> None:
    """An example's language is what "auto" guesses, so clicking one sets "auto" and never
    leaves its language behind for the next typed text."""
    for task, rows in all_examples().items():
        for row, cells in zip(rows, example_rows(task), strict=True):
            texts = [v for k, v in row["fields"].items() if k != "question"]
            assert guess_language(texts) == row["language"], row
            assert cells[-1] == "auto"
        assert len(example_labels(task)) == len(rows)


def test_retrieve_returns_each_encoders_neighbours_clean_and_perturbed(client: Client) -> None:
    """/retrieve: every encoder's k nearest English sentences of the run's Tatoeba sets for the
    query as typed and perturbed; a model that is not loaded is an error naming the ones that
    are."""
    answer = client.predict(
        query=RU[0], language="ru", family="keyboard", strength=0.5, k=3, api_name="/retrieve"
    )
    assert answer["language"] == "ru" and answer["perturbed"] != answer["query"]
    assert set(answer["models"]) == {"none · seed0", "multi · seed0"}
    for found in answer["models"].values():
        assert len(found["clean"]) == 3 and len(found["perturbed"]) == 3
        assert {"sentence", "cosine"} == set(found["clean"][0])
    with pytest.raises(AppError, match="not loaded"):
        client.predict(query=RU[0], models=["qqp · seed0"], api_name="/retrieve")
