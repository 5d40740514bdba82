"""The demo's question-answering view: a typed context and question answered by every model of a
QA task, clean and perturbed, through the service, the page's handler and the `/answer`
endpoint; bad input is one line."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="the demo needs gradio (pip install -e '.[dev]')")
from gradio_client import Client

from tests.app_support import build_qa_root, start_app
from tests.test_app_tagging import error_of
from xstilts.demo.inputs import InputError
from xstilts.demo.qaview import qa_html
from xstilts.demo.service import DemoService

CONTEXT = "Kenji enjoys 5 sandwiches in the garden. Lin takes 4 big chairs in the market."
QUESTION = "Who takes 4 big chairs in the market?"
RU_CONTEXT = "Kenji зует 5 сандвич в далтя. Lin фосбоет 4 жярсюый кримсик в бекул."


@pytest.fixture(scope="module")
def server(small_world: Path, tmp_path_factory: pytest.TempPathFactory):
    root = build_qa_root(small_world, tmp_path_factory.mktemp("qa"))
    app, service, demo, url = start_app(root, small_world)
    yield app, service, demo, url
    demo.close()


@pytest.fixture(scope="module")
def service(server) -> DemoService:
    return server[1]


def answer(service: DemoService, context: str, question: str, **over):
    request = service.parse_question("xquad", context, question, over.pop("language", "auto"))
    keys = [key for _, key in service.model_choices("xquad")]
    args = {"family": "char_swap", "strength": 0.5, "seed": 1} | over
    return service.answer(request, keys, args["family"], args["strength"], args["seed"])


def test_qa_checkpoints_load_beside_classification_ones(service: DemoService) -> None:
    assert service.tasks() == ["xnli", "xquad"]
    assert service.qa_tasks() == ["xquad"]
    assert [m.condition for m in service.catalogue.for_task("xquad")] == ["multi", "none"]


def test_every_model_answers_with_a_span_of_the_context_it_read(service: DemoService) -> None:
    result = answer(service, CONTEXT, QUESTION)
    assert result.perturbed.context != result.clean.context  # char_swap at 0.5 edits it
    assert len(result.models) == 2
    for model in result.models:
        for read, got in ((result.clean, model.clean), (result.perturbed, model.perturbed)):
            assert got.start >= 0 and read.context[got.start : got.end].strip() == got.text
        assert model.effective in ("effective", "erased by the tokenizer", "no edit")
    data = result.as_dict()
    assert data["context"] == CONTEXT and data["perturbed_context"] == result.perturbed.context
    assert [m["model"] for m in data["models"]] == [m.label for m in result.models]
    assert "Answer changed for" in result.message


def test_a_russian_question_and_the_same_seed_give_the_same_view(service: DemoService) -> None:
    first = answer(service, RU_CONTEXT, "Кто фосбоет?", seed=3)
    again = answer(service, RU_CONTEXT, "Кто фосбоет?", seed=3)
    assert first.language == "ru" and first.as_dict() == again.as_dict()


def test_the_view_escapes_user_text(service: DemoService) -> None:
    hostile = '<script>alert(1)</script> Kofi <img src=x onerror="alert(2)"> sees Anya.'
    page = qa_html(answer(service, hostile, "<b>who</b> sees Anya?", strength=0.0))
    assert "<script>" not in page and "<img" not in page and "<b>who" not in page
    assert html.escape("<script>alert(1)</script>") in page
    assert page.count('<div class="xs-qacard">') == 2


@pytest.mark.parametrize(
    ("task", "context", "question", "message"),
    [
        ("xquad", "", "who?", "Context is empty"),
        ("xquad", "Kenji eats.", "   ", "Question is empty"),
        ("xnli", "Kenji eats.", "who?", "not a question-answering task"),
        ("nope", "Kenji eats.", "who?", "has no loaded model"),
    ],
)
def test_bad_input_is_one_line(service: DemoService, task, context, question, message) -> None:
    with pytest.raises(InputError, match=message) as caught:
        service.parse_question(task, context, question, "auto")
    assert "\n" not in str(caught.value)


def test_the_perturb_tabs_send_qa_tasks_to_their_tab(service: DemoService) -> None:
    with pytest.raises(InputError, match="Question answering tab"):
        service.parse("xquad", {"text_a": "a"}, "en")


def test_the_answer_endpoint_and_the_page(server) -> None:
    app, service, _, url = server
    client = Client(url, verbose=False)
    data = client.predict(
        task="xquad", context=CONTEXT, question=QUESTION, family="word_swap", strength=0.3,
        api_name="/answer",
    )  # fmt: skip
    assert data["task"] == "xquad" and len(data["models"]) == 2
    assert {"text", "start", "end"} <= set(data["models"][0]["clean"])
    refused = error_of(url, "/answer", {"task": "xquad", "context": "", "question": "who?"})
    assert "Context is empty" in refused
    keys = [key for _, key in service.model_choices("xquad")]
    status, view = app["qa_page"](
        service, "xquad", keys, CONTEXT, QUESTION, "en", "keyboard", 0.2, 0
    )
    assert 'class="xs-qacard"' in view and "Answer changed for" in html.unescape(status)
    status, view = app["qa_page"](service, "xquad", [], CONTEXT, QUESTION, "en", "keyboard", 0, 0)
    assert view == "" and "no model selected" in html.unescape(status)
