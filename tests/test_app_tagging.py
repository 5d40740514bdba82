"""The demo's tagging view: a typed sentence tagged word by word by every model of a tagging
task, clean and perturbed, through the service, the page's handler and the `/tag` endpoint."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import threading
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="the demo needs gradio (pip install -e '.[dev]')")
from gradio_client import Client

from tests.app_support import REPO, build_demo_root, build_tagging_root, start_app
from tests.tiny_models import corpus_lines, tiny_model, tiny_tokenizer
from xstilts.demo.catalogue import load_catalogue
from xstilts.demo.inputs import InputError, guess_language
from xstilts.demo.ready_examples import TAGGING_EXAMPLES
from xstilts.demo.service import DemoService
from xstilts.demo.tagrender import tag_html, tag_hues
from xstilts.demo.tagview import perturb_sentence
from xstilts.perturb.tagged import perturb_tagged
from xstilts.tasks import get_task

RU = "Kenji сирбриет Priya и Tariq Nina ."
ZH = "Olga 在 前 读 轻洗 。"
HOSTILE = '<script>alert(1)</script> Kofi <img src=x onerror="alert(2)"> Anya .'
CHIP = re.compile(
    r'<span class="xs-word(?P<cls>[^"]*)"(?: style="--xs-hue: (?P<hue>\d+)")? title="[^"]*">'
    r'<span class="xs-wtext" dir="auto">(?P<body>.*?)</span>'
    r'<span class="xs-wtag">(?P<tag>[^<]*)</span>(?:<span class="xs-was">[^<]*</span>)?'
    r'<span class="xs-wlink" dir="ltr">(?P<link>[^<]*)</span></span>'
)


@pytest.fixture(scope="module")
def tagging_root(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tagging_root(small_world, tmp_path_factory.mktemp("tagging"))


@pytest.fixture(scope="module")
def server(tagging_root: Path, small_world: Path):
    app, service, demo, url = start_app(tagging_root, small_world)
    yield app, service, demo, url
    demo.close()


@pytest.fixture(scope="module")
def service(server) -> DemoService:
    return server[1]


@pytest.fixture(scope="module")
def client(server) -> Client:
    return Client(server[3], verbose=False)


def keys(service: DemoService, task: str) -> list[str]:
    return [key for _, key in service.model_choices(task)]


def tag(service: DemoService, task: str, sentence: str, family: str = "char_swap", **over):
    request = service.parse_sentence(task, sentence, over.pop("language", "auto"))
    args = {"strength": 0.5, "seed": 1} | over
    return service.tag(request, keys(service, task), family, args["strength"], args["seed"])


def cards(page: str) -> list[str]:
    """Each model's card of the view."""
    return page.split('<div class="xs-tagcard">')[1:]


def rows(card: str) -> tuple[list[dict], list[dict]]:
    """(clean chips, perturbed chips) of one card, each as its regex groups."""
    clean, perturbed = card.split('<span class="xs-tag">perturbed</span>')
    return (
        [m.groupdict() for m in CHIP.finditer(clean)],
        [m.groupdict() for m in CHIP.finditer(perturbed)],
    )


def text_of(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", body))


# --- catalogue and input -------------------------------------------------------------------------


def test_tagging_checkpoints_load_beside_classification_ones(service: DemoService) -> None:
    assert service.tasks() == ["panx", "udpos", "xnli"]
    assert service.tagging_tasks() == ["panx", "udpos"]
    models = service.catalogue.for_task("udpos")
    assert [m.condition for m in models] == ["mnli", "multi", "none"]
    for model in models:
        assert model.labels == get_task("udpos").labels
        assert model.model.head_info[model.head].kind == "tagging"


def test_a_sentence_is_split_at_whitespace_and_refusals_are_one_line(
    service: DemoService,
) -> None:
    request = service.parse_sentence("udpos", "  Olga\u3000在 前\t读 轻洗 。 ", "auto")
    assert request.example.words == ("Olga", "在", "前", "读", "轻洗", "。")
    assert request.language == "zh" and request.guessed
    unspaced = service.parse_sentence("udpos", "李明在北京的大学工作。", "zh")
    assert any("put a space between the words" in n for n in unspaced.notes)
    for value, message in [
        ("", "Sentence has no words"),
        ("   \n\t ", "Sentence has no words"),
        (None, "Sentence has no words"),
        ("\u200b \u200d", "no visible character"),
        ("x" * 1001, "the limit is 1,000"),
        ("a\x00b", "control character U+0000"),
        (["a"], "expected text"),
    ]:
        with pytest.raises(InputError, match=re.escape(message)) as caught:
            service.parse_sentence("panx", value, "auto")
        assert "\n" not in str(caught.value)
    with pytest.raises(InputError, match="xnli is not a tagging task; tagging tasks: panx, udpos"):
        service.parse_sentence("xnli", RU, "auto")
    with pytest.raises(InputError, match="has no loaded model"):
        service.parse_sentence("../udpos", RU, "auto")
    pair = service.parse("xnli", {"text_a": RU, "text_b": RU}, "auto")
    with pytest.raises(InputError, match="xnli is not a tagging task"):
        service.tag(pair, keys(service, "xnli"), "char_swap", 0.2, 0)
    # the classification tabs refuse a tagging task with one line, not a crash
    with pytest.raises(InputError, match="udpos is a tagging task: type its sentence in the"):
        service.parse("udpos", {"text_a": RU, "text_b": RU}, "auto")


def test_the_tagging_examples_are_valid_and_copy_the_sample_world() -> None:
    for row in TAGGING_EXAMPLES:
        assert guess_language([row["sentence"]]) == row["language"]
        if row["source"] == "hand-written":
            continue
        path, line = row["source"].rsplit(":", 1)
        if not (REPO / path).exists():
            pytest.skip("data/ not pulled (`dvc pull data.dvc`)")
        record = json.loads((REPO / path).read_text(encoding="utf-8").splitlines()[int(line) - 1])
        assert row["sentence"] == " ".join(record["tokens"])


# --- the view ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("task", "sentence"), [("panx", RU), ("udpos", ZH)])
def test_every_model_tags_every_word_clean_and_perturbed(
    service: DemoService, task: str, sentence: str
) -> None:
    result = tag(service, task, sentence)
    names = get_task(task).labels
    clean, perturbed = result.sentence.clean.words, result.sentence.perturbed.words
    assert clean == tuple(sentence.split()) and perturbed != clean
    assert [m.label for m in result.models] == ["mnli · seed0", "multi · seed0", "none · seed0"]
    for model in result.models:
        assert len(model.clean) == len(clean) and len(model.perturbed) == len(perturbed)
        assert set(model.clean + model.perturbed + model.expected) <= set(names)
        assert model.changed == tuple(
            p != e for p, e in zip(model.perturbed, model.expected, strict=True)
        )
    assert "char_swap:" in result.message and "Perturbed words whose tag changed" in result.message

    page = tag_html(result)
    hues = tag_hues(names)
    assert len(cards(page)) == 3
    for model, card in zip(result.models, cards(page), strict=True):
        clean_chips, perturbed_chips = rows(card)
        assert [text_of(c["body"]) for c in clean_chips] == list(clean)
        assert [text_of(c["body"]).replace("␣", " ") for c in perturbed_chips] == [
            w for w in perturbed
        ]
        assert [c["tag"] for c in clean_chips] == list(model.clean)
        assert [c["tag"] for c in perturbed_chips] == list(model.perturbed)
        for chip in clean_chips + perturbed_chips:  # coloured by tag; NER's O plain
            hue = hues[chip["tag"]]
            assert chip["hue"] == (None if hue is None else str(hue))
            assert ("xs-plain" in chip["cls"]) == (hue is None)
        flagged = [" xs-changed" in c["cls"] for c in perturbed_chips]
        assert flagged == list(model.changed)
        assert [c["link"].split()[0] for c in perturbed_chips] == [
            "←" + "+".join(str(i + 1) for i in s) for s in result.sentence.sources
        ]
    if task == "udpos":
        assert all(hue is not None for hue in hues.values())  # POS: one colour per tag
    else:
        assert hues["O"] is None and hues["B-PER"] == hues["I-PER"] != hues["B-LOC"]
    assert page.count("xs-replaced") + page.count("xs-inserted") > 3  # the edits are marked


def test_the_words_and_alignment_do_not_depend_on_the_tags_carried(service: DemoService) -> None:
    """The view perturbs with placeholder tags; the evaluation perturbs with gold tags. Every
    family gives the same words either way, the alignment names existing clean words, and each
    model's expected tags are what the evaluation would carry as gold from its clean tags."""
    names = get_task("panx").labels
    request = service.parse_sentence("panx", RU, "ru")
    families = service.families_for(None)
    for name, family in families.items():
        for seed in (0, 1, 2):
            sentence = perturb_sentence(request.example, family, 0.6, seed, names)
            result = tag(service, "panx", RU, name, strength=0.6, seed=seed, language="ru")
            assert result.sentence.perturbed.words == sentence.perturbed.words
            n = len(sentence.clean.words)
            assert all(s and all(0 <= i < n for i in s) for s in sentence.sources), name
            for model in result.models:
                gold = tuple(names.index(t) for t in model.clean)
                example = dataclasses.replace(request.example, tags=gold)
                carried, _ = perturb_tagged(example, family, 0.6, seed, names)
                assert carried.words == sentence.perturbed.words, (name, seed)
                assert tuple(names[t] for t in carried.tags) == model.expected, (name, seed)


def test_deleted_swapped_and_repeated_words_are_aligned(service: DemoService) -> None:
    words = RU.split()
    deleted = tag(service, "panx", RU, "word_delete", strength=0.5).sentence
    kept = [i for s in deleted.sources for i in s]
    assert [words[i] for i in kept] == list(deleted.perturbed.words)
    assert "gone" in deleted.clean_changes()
    swapped = tag(service, "panx", RU, "word_swap", strength=0.5).sentence
    assert sorted(i for s in swapped.sources for i in s) == list(range(len(words)))
    assert "moved" in swapped.perturbed_changes()
    repeated = tag(service, "panx", RU, "word_repeat", strength=0.5).sentence
    changes = repeated.perturbed_changes()
    for j, change in enumerate(changes):
        if change == "added":
            assert repeated.sources[j] == repeated.sources[j - 1]
            assert repeated.perturbed.words[j] == repeated.perturbed.words[j - 1]
    spaced = tag(service, "udpos", ZH, "spacing", strength=1.0, seed=0).sentence
    assert "merged" in spaced.perturbed_changes() and "split" in spaced.perturbed_changes()
    for j, change in enumerate(spaced.perturbed_changes()):
        if change == "merged":  # two clean words run together: both are its sources
            assert spaced.perturbed.words[j] == "".join(spaced.source_text(j).split())
        if change == "split":
            assert spaced.perturbed.words[j] in spaced.source_text(j)
    # every word deleted: the perturbed line says so, and nothing fails
    empty = tag(service, "udpos", "Kofi Anya", "word_delete", strength=1.0, language="en")
    assert empty.sentence.perturbed.words == () and empty.sentence.clean_changes() == ["gone"] * 2
    assert tag_html(empty).count("(no word left)") == 3


def test_a_hostile_word_is_shown_as_text(server, service: DemoService) -> None:
    app = server[0]
    for family in ("char_swap", "invisible", "word_repeat"):
        result = tag(service, "udpos", HOSTILE, family, strength=1.0)
        assert "<script>" in result.sentence.clean.words[0]
        status, view = app["tag_page"](
            service, "udpos", keys(service, "udpos"), HOSTILE, "auto", family, 1.0, 0
        )
        for markup in (view, status, tag_html(result)):
            assert "<script" not in markup and "<img" not in markup
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in view
        assert "&lt;img" in view and "onerror=&quot;alert(2)&quot;" in view
    with pytest.warns(UserWarning, match="Sentence has no words"):
        status, view = app["tag_page"](
            service, "udpos", keys(service, "udpos"), "   ", "auto", "char_swap", 0.2, 0
        )
    assert view == "" and status.count("\n") == 0 and "Sentence has no words" in status
    with pytest.warns(UserWarning, match="has no loaded model"):
        status, _ = app["tag_page"](service, "<b>x</b>", [], "a", "auto", "char_swap", 0.2, 0)
    assert "<b>" not in status and "&lt;b&gt;" in status


def test_right_to_left_words_are_laid_out_right_to_left(service: DemoService) -> None:
    """Both word rows take the sentence's direction, so ←n reads the same way in both."""
    arabic = tag_html(tag(service, "panx", "هل يجالنين Tariq Nina ؟"))
    latin = tag_html(tag(service, "panx", "Tariq يجالنين Nina ."))
    assert re.findall(r'class="xs-words" dir="(\w+)"', arabic) == ["rtl"] * 6
    assert re.findall(r'class="xs-words" dir="(\w+)"', latin) == ["ltr"] * 6


def test_an_empty_perturbation_and_an_unsupported_language_are_said(service: DemoService) -> None:
    result = tag(service, "panx", RU, "char_swap", strength=0.0)
    assert result.sentence.perturbed.words == result.sentence.clean.words
    assert all(not any(m.changed) for m in result.models)
    assert "found nothing to edit" in result.message
    other = tag(service, "panx", RU, "keyboard", language="xx")
    assert "nothing for language 'xx'" in other.message


# --- the page and the API ------------------------------------------------------------------------


def test_the_tag_endpoint_returns_every_models_words(client: Client, service: DemoService) -> None:
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    params = [p["parameter_name"] for p in api["/tag"]["parameters"]]
    assert params == ["task", "models", "sentence", "language", "family", "strength", "seed"]
    result = client.predict(task="panx", sentence=RU, family="char_swap", strength=0.5, seed=1,
                            api_name="/tag")  # fmt: skip
    assert result["clean_words"] == RU.split() and result["tags"] == list(get_task("panx").labels)
    assert len(result["alignment"]) == len(result["perturbed_words"])
    assert [f["field"] for f in result["fields"]] == ["text"] and result["fields"][0]["edits"]
    assert {m["model"] for m in result["models"]} == {
        "none · seed0",
        "mnli · seed0",
        "multi · seed0",
    }
    for model in result["models"]:
        assert [w["word"] for w in model["clean"]] == RU.split()
        assert [w["word"] for w in model["perturbed"]] == result["perturbed_words"]
        assert model["changed"] == sum(w["changed"] for w in model["perturbed"])
        assert all(w["changed"] == (w["tag"] != w["expected"]) for w in model["perturbed"])
    # the service's answer, as data
    direct = tag(service, "panx", RU).as_dict()
    assert direct == result


def test_the_tag_endpoint_refuses_bad_requests_with_a_message(server) -> None:
    url = server[3]
    for over, expected in [
        ({"sentence": ""}, "Sentence has no words"),
        ({"sentence": "   "}, "Sentence has no words"),
        ({"task": "xnli"}, "xnli is not a tagging task"),
        ({"task": "../x"}, "task '../x' has no loaded model"),
        ({"models": ["none/xnli/seed0"]}, "do not serve udpos"),
        ({"models": []}, "no model selected"),
        ({"family": "nope"}, "unknown perturbation family"),
        ({"strength": 2}, "strength must be between 0 and 1"),
        ({"seed": -1}, "seed must be a whole number"),
        ({"language": "<img>"}, "not a language code"),
    ]:
        message = error_of(url, "/tag", {"task": "udpos", "sentence": ZH} | over)
        assert expected in message and "\n" not in message, (over, message)


def error_of(url: str, api: str, values: dict) -> str:
    """The error a client gets for a rejected request (raw HTTP, as any client sends it)."""
    with urllib.request.urlopen(f"{url}gradio_api/info", timeout=30) as answer:
        params = json.loads(answer.read())["named_endpoints"][api]["parameters"]
    data = [values.get(p["parameter_name"], p["parameter_default"]) for p in params]
    request = urllib.request.Request(
        f"{url}gradio_api/call{api}",
        json.dumps({"data": data}).encode(),
        {"Content-Type": "application/json"},
    )
    event = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call{api}/{event}", timeout=120) as answer:
        text = answer.read().decode()
    assert "event: error" in text, text
    return json.loads(text.split("data:", 1)[1].strip())["error"]


def test_classification_keeps_working_beside_tagging(client: Client, server) -> None:
    """With tagging tasks in the selector, xnli still compares; a tagging task sent to the
    classification endpoints is one line saying where it belongs."""
    result = client.predict(task="xnli", text_a="Kofi и Anya барет.", text_b="Kofi ниет.",
                            api_name="/compare")  # fmt: skip
    assert len(result["predictions"]["rows"]) == 1
    for api in ("/compare", "/perturb", "/attack"):
        message = error_of(server[3], api, {"task": "udpos", "text_a": RU, "text_b": RU})
        assert "udpos is a tagging task: type its sentence in the Tagging tab" in message


def test_picking_a_tagging_task_swaps_the_text_fields_for_a_notice(server) -> None:
    demo = server[2]
    (on_task,) = {fn.fn for fn in demo.fns.values() if fn.name == "on_task"}
    for task, tagging in (("udpos", True), ("xnli", False)):
        models, note, tab_notice, pair_box = on_task(task)[:4]
        assert {key for _, key in models.choices} == set(keys(server[1], task))
        assert note.visible is tagging and tab_notice.visible is not tagging
        assert pair_box.visible is not tagging
        if tagging:
            assert "Tagging" in note.value


def test_without_a_tagging_checkpoint_the_tab_is_a_notice(
    server, small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    app = server[0]
    root = build_demo_root(small_world, tmp_path_factory.mktemp("demo"))
    service = DemoService(load_catalogue(root / "models" / "target"))
    assert service.tagging_tasks() == []
    demo = app["build_demo"](service)
    notices = [
        c for c in demo.config["components"] if c.get("props", {}).get("elem_id") == "tag-none"
    ]
    assert len(notices) == 1 and "No tagging checkpoint" in notices[0]["props"]["value"]


# --- concurrency ---------------------------------------------------------------------------------

LONG = " ".join(["Kenji", "сирбриет", "Priya", "и", "Tariq", "Nina", "."] * 26)  # > 128 tokens
PAIR = ("Kofi и Anya барет 2 нюбронвю. " * 33)[:990]


@pytest.fixture(scope="module")
def shared(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoService:
    """One checkpoint with an xnli and a udpos head: both tasks' requests share its model, its
    tokenizer and its lock, as a checkpoint whose meta names no task does."""
    root = tmp_path_factory.mktemp("shared")
    tokenizer = tiny_tokenizer(corpus_lines(small_world), vocab_size=600)
    model = tiny_model(tokenizer, ["xnli", "udpos"], seed=3)
    model.save(root / "both" / "seed0", tokenizer, {"condition": "both", "seed": 0})
    service = DemoService(load_catalogue(root))
    assert service.tasks() == ["udpos", "xnli"]
    (first, second) = service.catalogue.models.values()
    assert first.lock is second.lock and first.tokenizer is second.tokenizer
    return service


def test_concurrent_requests_on_one_checkpoint_do_not_interfere(shared: DemoService) -> None:
    """Tagging and classification requests on one checkpoint, from many threads, give exactly
    what they give one at a time. Tagging reads the tokenizer with truncation off (long
    sentences are split between words), classification with truncation at the model's length:
    a fast tokenizer keeps that setting in state every call rewrites, so without the
    checkpoint's lock a long pair can reach the model untruncated ("index out of range")."""
    pair = shared.parse("xnli", {"text_a": PAIR, "text_b": PAIR}, "auto")
    jobs = [(LONG if i % 2 else RU, ("char_swap", "invisible", "homoglyph")[i % 3], i)
            for i in range(6)]  # fmt: skip

    def run(job) -> dict:
        sentence, family, seed = job
        return tag(shared, "udpos", sentence, family, strength=0.3, seed=seed).as_dict()

    expected = [run(job) for job in jobs]
    errors: list[str] = []
    mismatches: list[int] = []

    def work(worker: int) -> None:
        for step in range(6):
            try:
                if (worker + step) % 2:
                    shared.compare(pair, keys(shared, "xnli"), "char_swap", 0.2, step)
                else:
                    index = (worker + step) % len(jobs)
                    if run(jobs[index]) != expected[index]:
                        mismatches.append(index)
            except Exception as err:
                errors.append(repr(err)[:200])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and mismatches == [], (errors[:2], mismatches)
