"""The Gradio demo of the X-STILTs robustness artifact.

Type a sentence pair (or a COPA item) in any language, perturb it, and see each
intermediate-training condition's model predict the clean and the perturbed input side by side;
tag a sentence's words (POS, NER) clean and perturbed; attack the models within a budget; see
each condition's encoder retrieve English sentences for a query, clean and perturbed; read the
run's headline numbers and its report.

Widgets only: every check, prediction, table and page text comes from `xstilts.demo`. Start it
with `make app` or `xstilts app [--models DIR] [--metrics DIR] [--host 127.0.0.1] [--port 7860]`
(`python app/main.py ...` works too). It binds 127.0.0.1 unless told otherwise (`--host 0.0.0.0`
inside a container), never makes a share link, sends no analytics and records no run history.

The page's own events are private; the public API is seven named endpoints, `/perturb`,
`/compare`, `/attack`, `/tag`, `/answer`, `/headline` and `/retrieve`, each taking named
parameters (those a task does not use may be left out) and returning one JSON object with named
keys. A rejected request is a Gradio error whose message names the field.
"""

from __future__ import annotations

import os

# Before gradio is imported: no telemetry, no version check, no run history.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_RUN_HISTORY", "False")

import argparse
import html
import inspect
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd
from gradio.components.api_component import Api

from xstilts.demo.catalogue import load_catalogue
from xstilts.demo.guide import (
    NO_TAGGING,
    TAGGING_HELP,
    guide_markdown,
    header_markdown,
    pick_tagging_notice,
    report_markdown,
    tagging_notice,
)
from xstilts.demo.inputs import FIELDS, Limits
from xstilts.demo.qaview import CSS as QA_CSS
from xstilts.demo.qaview import qa_html
from xstilts.demo.ready_examples import example_labels, example_rows, tagging_labels, tagging_rows
from xstilts.demo.render import CSS as VIEW_CSS
from xstilts.demo.render import diff_html, message_html, page_html, table_html
from xstilts.demo.retrieval import RETRIEVAL_HEADER, RetrievalDemo, load_models, pool_sentences
from xstilts.demo.service import (
    ATTACK_HEADER,
    EFFECTIVE_HEADER,
    PREDICTION_HEADER,
    AttackSettings,
    DemoService,
    Result,
)
from xstilts.demo.tagrender import CSS as TAG_CSS
from xstilts.demo.tagrender import tag_html
from xstilts.errors import XstiltsError
from xstilts.tasks import get_task

LOG = logging.getLogger("xstilts.app")
LANGUAGES = [
    "auto", "en", "vi", "ru", "ar", "hi", "zh", "el", "he", "th", "ja", "ko", "ka", "ta", "bn",
    "hy", "fa", "uk", "bg", "tr", "de", "fr", "es", "sw", "mr",
]  # fmt: skip
CSS = (
    VIEW_CSS
    + TAG_CSS
    + QA_CSS
    + """
.bidi-auto textarea, .bidi-auto .textfield { unicode-bidi: plaintext; }
"""
)
PRIVATE = {"api_visibility": "private"}  # the page's own events: not part of the API


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    doc = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(
        prog="xstilts app",
        description=" ".join(doc[0:2]).replace("\n", " "),
        epilog=doc[3].replace("\n", " "),
    )
    parser.add_argument(
        "--models",
        default="models/target",
        help="directory of checkpoints (default: the sample pipeline's models/target)",
    )
    parser.add_argument("--metrics", default="metrics", help="metrics directory of the run")
    parser.add_argument(
        "--params",
        default="params.yaml",
        help="params file listing the run's conditions and seeds for the headline panel "
        "(ignored when missing: then every metrics file found is shown)",
    )
    parser.add_argument(
        "--report", default="reports/REPORT.md", help="the run's report, shown in its own tab"
    )
    parser.add_argument("--lexicons", default="data/lexicon", help="code-switching lexicons")
    parser.add_argument(
        "--retrieval-sets",
        default="retrieval_sets",
        help="the run's retrieval sets, whose English Tatoeba sentences the Retrieval tab searches",
    )
    parser.add_argument(
        "--encoders",
        default="models/intermediate",
        help="intermediate checkpoints whose encoders the Retrieval tab compares",
    )
    parser.add_argument("--base", default="models/base", help="the base model (`none`'s encoder)")
    parser.add_argument("--tasks", nargs="*", help="only these target tasks")
    parser.add_argument("--conditions", nargs="*", help="only these conditions")
    parser.add_argument("--seeds", nargs="*", type=int, help="only these seeds")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind; use 0.0.0.0 only inside a container whose port you publish",
    )
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--max-chars", type=int, default=Limits.max_chars, help="per text field")
    parser.add_argument("--max-length", type=int, default=256, help="tokens per input")
    parser.add_argument("--queue-size", type=int, default=64, help="requests waiting at most")
    parser.add_argument("--concurrency", type=int, default=2, help="requests running at once")
    return parser.parse_args(argv)


def build_service(args: argparse.Namespace) -> DemoService:
    """Load every checkpoint once; a bad one stops here with a message naming its path."""
    catalogue = load_catalogue(args.models, args.tasks, args.conditions, args.seeds)
    runs: tuple[list[str] | None, list[int] | None] = (args.conditions, args.seeds)
    presets: dict[str, AttackSettings] = {}
    conditions: dict[str, tuple[str, ...]] = {}
    retrieval_length = args.max_length
    if Path(args.params).is_file():
        from xstilts.config import intermediate_condition, load_params

        params = load_params(args.params)
        runs = (
            args.conditions or list(params.all_condition_names),
            args.seeds or list(params.seeds),
        )
        conditions = {
            name: params.conditions[intermediate_condition(name)]
            for name in params.all_condition_names
        }
        presets = {
            name: AttackSettings(
                max_unit_fraction=attack.max_unit_fraction,
                max_queries=attack.max_queries,
                beam_width=attack.beam_width,
                candidates_per_unit=attack.candidates_per_unit,
                families=tuple(attack.families),
            )
            for name, attack in params.robustness.attacks.items()
        }
        retrieval_length = params.retrieval.max_length  # as the retrieve stage encodes
    retrieval = build_retrieval(args, runs, retrieval_length)
    return DemoService(
        catalogue,
        metrics_dir=Path(args.metrics),
        lexicon_dir=Path(args.lexicons),
        limits=Limits(max_chars=args.max_chars),
        max_length=args.max_length,
        runs=runs,
        attack_presets=presets,
        conditions=conditions,
        report=Path(args.report),
        retrieval=retrieval,
    )


def build_retrieval(
    args: argparse.Namespace,
    runs: tuple[list[str] | None, list[int] | None],
    max_length: int,
) -> RetrievalDemo | str:
    """The Retrieval tab's encoders (each condition's and seed's that the run has) and pool, or
    the line saying why the tab is empty: the rest of the demo works without them."""
    sets, encoders = Path(args.retrieval_sets), Path(args.encoders)
    if not sets.is_dir() or not encoders.is_dir():
        return f"No retrieval sets ({sets}) or encoders ({encoders}) yet: run `make repro` first."
    names = runs[0] or sorted(p.name for p in encoders.iterdir())
    seeds = runs[1] or sorted(
        int(p.name[4:]) for p in encoders.glob("*/seed*") if p.name[4:].isdigit()
    )
    found = [(c, k) for c in names for k in seeds if (encoders / c / f"seed{k}").is_dir()]
    if not found:  # RS-DA conditions have no intermediate model of their own
        return f"No intermediate model of the run's conditions under {encoders}."
    try:
        pool = pool_sentences(sets)
        models = load_models(encoders, Path(args.base), pool, found, max_length)
    except XstiltsError as err:
        return f"The Retrieval tab is empty: {err}"
    return RetrievalDemo(models, pool, Path(args.lexicons), Limits(max_chars=args.max_chars))


# --- the API: named parameters in, one JSON object out, rejected input as a Gradio error ------


class DemoBlocks(gr.Blocks):
    """Blocks whose API endpoints answer a wrong number of values with a message.

    Gradio refuses too few values before any handler runs, with an error a client only sees as
    `null`, and silently drops extra ones. For the named API functions, values left out take the
    parameter's default (so a client sends only the fields its task uses); too many, or a
    required one missing, is a Gradio error naming the parameters.
    """

    def validate_inputs(self, block_fn, inputs: list) -> None:
        params = _api_parameters(block_fn)
        if params is None:
            return super().validate_inputs(block_fn, inputs)
        name = f"/{block_fn.api_name}"
        if len(inputs) > len(params):
            raise gr.Error(
                f"{name} takes at most {len(params)} values "
                f"({', '.join(p.name for p in params)}), got {len(inputs)}",
                print_exception=False,
            )
        missing = [p.name for p in params[len(inputs) :] if p.default is p.empty]
        if missing:
            raise gr.Error(
                f"{name} needs {', '.join(missing)} (got {len(inputs)} value(s))",
                print_exception=False,
            )
        inputs.extend(p.default for p in params[len(inputs) :])
        return None


def _api_parameters(block_fn) -> list[inspect.Parameter] | None:
    """The parameters of a `gr.api` function (whose inputs are all API placeholders)."""
    if block_fn.fn is None or not block_fn.inputs:
        return None
    if not all(isinstance(b, Api) for b in block_fn.inputs):
        return None
    return list(inspect.signature(block_fn.fn).parameters.values())


def _answer(call: Callable[[], dict]) -> dict:
    """Run one API request: the library's refusal becomes a Gradio error the client can catch;
    anything else is logged here and named only by its type."""
    try:
        return call()
    except XstiltsError as err:
        raise gr.Error(str(err), print_exception=False) from None
    except gr.Error:
        raise
    except Exception as err:
        LOG.exception("API request failed")
        raise gr.Error(
            f"internal error ({type(err).__name__}); the server log has the details",
            print_exception=False,
        ) from None


def _fields(text_a, text_b, premise, question, choice1, choice2) -> dict:
    return {
        "text_a": text_a,
        "text_b": text_b,
        "text": text_a,
        "premise": premise,
        "question": question,
        "choice1": choice1,
        "choice2": choice2,
    }


def _models(service: DemoService, task: object, models: object) -> object:
    """No models named: every model of the task."""
    return [key for _, key in service.model_choices(str(task))] if models is None else models


def _views(result: Result) -> list[dict]:
    return [
        {"model": title, "fields": [d.as_dict() for d in diffs]} for title, diffs in result.views
    ]


PERTURB_DOC = """Perturb the input once (the same seed gives the same edits) and say, per model,
whether its tokenizer sees the edit. XNLI/PAWS-X use text_a and text_b; XCOPA uses premise,
question (cause or effect), choice1 and choice2. models: keys as listed by the page (default:
every model of the task). Returns {message, language, fields, tokenizer}."""
COMPARE_DOC = """Perturb the input once and give each model's prediction and probabilities on the
clean and the perturbed input. Parameters as for /perturb. Returns {message, language, fields,
predictions}."""


def view_endpoint(service: DemoService, method: str, key: str, doc: str) -> Callable[..., dict]:
    """/perturb or /compare: the same parameters, the service's `method`, its table as `key`."""

    def endpoint(
        task: str,
        models: list[str] | None = None,
        text_a: str = "",
        text_b: str = "",
        premise: str = "",
        question: str = "cause",
        choice1: str = "",
        choice2: str = "",
        language: str = "auto",
        family: str = "char_swap",
        strength: float = 0.2,
        seed: int = 0,
    ) -> dict:
        def call() -> dict:
            fields = _fields(text_a, text_b, premise, question, choice1, choice2)
            request = service.parse(task, fields, language)
            run = getattr(service, method)
            result = run(request, _models(service, task, models), family, strength, seed)
            return {
                "message": result.message,
                "language": request.language,
                "fields": _views(result)[0]["fields"],
                key: {"headers": result.header, "rows": result.rows},
            }

        return _answer(call)

    endpoint.__name__, endpoint.__doc__ = method, doc
    return endpoint


TAG_DOC = """Tag a sentence with every chosen model of a tagging task (udpos, panx), clean and
perturbed once (the same seed gives the same edits). Words are split at whitespace: separate the
words of Chinese, Japanese or Thai with spaces. No gold tags are needed; a perturbed word's tag
counts as changed when it differs from the model's clean tag carried onto it by the evaluation's
rules. Returns {message, language, task, tags, family, fields, clean_words, perturbed_words,
alignment, changes, models}: alignment[j] lists the clean words (0-based) perturbed word j comes
from; models[k] has each word's tag, confidence and, for perturbed words, from, expected and
changed."""


def tag_endpoint(service: DemoService) -> Callable[..., dict]:
    """/tag: the tagging view as data (`TagResult.as_dict`)."""

    def tag(
        task: str,
        models: list[str] | None = None,
        sentence: str = "",
        language: str = "auto",
        family: str = "char_swap",
        strength: float = 0.2,
        seed: int = 0,
    ) -> dict:
        def call() -> dict:
            request = service.parse_sentence(task, sentence, language)
            keys = _models(service, task, models)
            return service.tag(request, keys, family, strength, seed).as_dict()

        return _answer(call)

    tag.__doc__ = TAG_DOC
    return tag


ANSWER_DOC = """Each model's answer to a question about a context, clean and with the question and
context perturbed by the evaluation's rule for question answering (models: keys as listed by the
page; none given means all). Returns {message, language, task, family, fields, question,
perturbed_question, context, perturbed_context, models}: models[k] has `clean` and `perturbed`
answers ({text, start, end}: character offsets in the context that model read; -1 when no span
was valid), `changed` and `effective`."""


def answer_endpoint(service: DemoService) -> Callable[..., dict]:
    """/answer: the Question answering tab as data (`QAResult.as_dict`)."""

    def answer(
        task: str,
        models: list[str] | None = None,
        context: str = "",
        question: str = "",
        language: str = "auto",
        family: str = "char_swap",
        strength: float = 0.2,
        seed: int = 0,
    ) -> dict:
        def call() -> dict:
            request = service.parse_question(task, context, question, language)
            keys = _models(service, task, models)
            return service.answer(request, keys, family, strength, seed).as_dict()

        return _answer(call)

    answer.__doc__ = ANSWER_DOC
    return answer


RETRIEVE_DOC = """Each encoder's nearest English sentences of the run's Tatoeba sets for a query
in any language, as typed and perturbed (models: encoder names as `<condition> · seed<k>`; none
given means all; k: candidates, 1-20). Returns {message, query, perturbed, language, effective,
models}: models[name] has `clean` and `perturbed`, each a list of {sentence, cosine}."""


def retrieve_endpoint(service: DemoService) -> Callable[..., dict]:
    """/retrieve: the Retrieval tab as data."""

    def retrieve(
        query: str,
        models: list[str] | None = None,
        language: str = "auto",
        family: str = "char_swap",
        strength: float = 0.2,
        seed: int = 0,
        k: int = 5,
    ) -> dict:
        def call() -> dict:
            if not isinstance(service.retrieval, RetrievalDemo):
                raise XstiltsError(str(service.retrieval or "no retrieval encoders are loaded"))
            keys = service.retrieval.model_keys() if models is None else models
            answer = service.retrieval.search(query, language, keys, family, strength, seed, k)
            return answer.as_dict()

        return _answer(call)

    retrieve.__doc__ = RETRIEVE_DOC
    return retrieve


def add_api(service: DemoService) -> None:
    """The seven public endpoints (inside a Blocks context)."""

    def attack(
        task: str,
        models: list[str] | None = None,
        text_a: str = "",
        text_b: str = "",
        premise: str = "",
        question: str = "cause",
        choice1: str = "",
        choice2: str = "",
        language: str = "auto",
        max_unit_fraction: float = 0.2,
        max_queries: int = 200,
        beam_width: int = 1,
        candidates_per_unit: int = 4,
        families: list[str] | None = None,
        seed: int = 0,
    ) -> dict:
        """Search, per model, for a perturbation within the budget that changes its prediction
        (families: none given means every family that supports the language). Returns {message,
        language, results, adversarial} (adversarial: per model, its fields' edits)."""

        def call() -> dict:
            request = service.parse(
                task, _fields(text_a, text_b, premise, question, choice1, choice2), language
            )
            settings = AttackSettings(
                max_unit_fraction=max_unit_fraction,
                max_queries=max_queries,
                beam_width=beam_width,
                candidates_per_unit=candidates_per_unit,
                families=() if families is None else families,
            )
            result = service.attack(request, _models(service, task, models), settings, seed)
            return {
                "message": result.message,
                "language": request.language,
                "results": {"headers": result.header, "rows": result.rows},
                "adversarial": _views(result),
            }

        return _answer(call)

    def headline(task: str) -> dict:
        """The run's headline numbers for a target task, from its metrics files: {note, header,
        rows}."""

        def call() -> dict:
            result = service.headline(task)
            return {"note": result.message, "header": result.header, "rows": result.rows}

        return _answer(call)

    perturb = view_endpoint(service, "perturb", "tokenizer", PERTURB_DOC)
    compare = view_endpoint(service, "compare", "predictions", COMPARE_DOC)
    for fn in (
        perturb,
        compare,
        attack,
        tag_endpoint(service),
        answer_endpoint(service),
        headline,
        retrieve_endpoint(service),
    ):
        gr.api(fn, api_name=fn.__name__)


# --- the page ----------------------------------------------------------------------------------


def _failure(err: Exception) -> str:
    """The user-facing message of a failed page request; tracebacks stay in the server log."""
    if isinstance(err, XstiltsError):
        message = str(err)
    else:
        LOG.exception("request failed")
        message = f"internal error ({type(err).__name__}); the server log has the details"
    gr.Warning(html.escape(message))
    return message_html(f"⚠️ {message}")


def _outputs(result: Result) -> tuple[str, str, str]:
    views = [diff_html(diffs, title) for title, diffs in result.views]
    return message_html(result.message), page_html(views), table_html(result.header, result.rows)


@dataclass
class Inputs:
    """The widgets every request reads."""

    task: gr.Dropdown
    models: gr.CheckboxGroup
    language: gr.Dropdown
    fields: list[gr.components.Component]  # text_a, text_b, premise, question, choice1, choice2
    pair_box: gr.Column
    text_b: gr.Textbox
    choice_box: gr.Column
    example_boxes: list[gr.Column]
    tagging_note: gr.Markdown  # shown instead of the text fields when the task tags words

    @property
    def common(self) -> list:
        return [self.task, self.models, *self.fields, self.language]


def _kind(task: str) -> str:
    return get_task(task).kind


def input_widgets(service: DemoService, first: str) -> Inputs:
    """Task, models, language, the text fields of every task kind, and the examples."""
    limit, tasks = service.limits.max_chars, service.tasks()
    with gr.Row():
        task = gr.Dropdown(tasks, value=first, label="Target task", scale=1)
        # Every model is a valid choice, whatever task is picked (the service checks that a
        # model serves the task); the page narrows the list to the chosen task's models when it
        # loads and whenever the task changes.
        models = gr.CheckboxGroup(
            choices=[(f"{m.task}: {m.label}", m.key) for m in service.catalogue.models.values()],
            value=[key for _, key in service.model_choices(first)],
            label="Models (condition · seed)",
            scale=3,
        )
        language = gr.Dropdown(
            LANGUAGES,
            value="auto",
            allow_custom_value=True,
            label="Language",
            info="auto: guessed from the script on every request (the examples use auto too)",
            scale=1,
        )
    kind = _kind(first)
    tagging_note = gr.Markdown(tagging_notice(first), visible=kind == "tagging")
    with gr.Column(visible=kind in ("pair", "single")) as pair_box:
        text_a = gr.Textbox(
            label=FIELDS["pair"][0][1], lines=2, max_length=limit, elem_classes="bidi-auto"
        )
        text_b = gr.Textbox(
            label=FIELDS["pair"][1][1],
            lines=2,
            max_length=limit,
            visible=kind == "pair",
            elem_classes="bidi-auto",
        )
    with gr.Column(visible=kind == "choice") as choice_box:
        premise = gr.Textbox(label="Premise", lines=2, max_length=limit, elem_classes="bidi-auto")
        question = gr.Radio(["cause", "effect"], value="cause", label="Question")
        with gr.Row():
            choice1 = gr.Textbox(label="Choice 1", max_length=limit, elem_classes="bidi-auto")
            choice2 = gr.Textbox(label="Choice 2", max_length=limit, elem_classes="bidi-auto")
    boxes = []
    for name in tasks:
        with gr.Column(visible=name == first) as box:
            rows = example_rows(name)
            if rows:
                fields = (
                    [premise, question, choice1, choice2]
                    if _kind(name) == "choice"
                    else [text_a, text_b][: len(FIELDS[_kind(name)])]
                )
                gr.Examples(
                    rows,
                    [*fields, language],
                    label=f"Examples ({name}): sample-world rows are made-up pseudo-words",
                    example_labels=example_labels(name),
                    examples_per_page=12,
                    api_visibility="private",
                )
        boxes.append(box)
    fields = [text_a, text_b, premise, question, choice1, choice2]
    return Inputs(task, models, language, fields, pair_box, text_b, choice_box, boxes, tagging_note)


def perturb_tab(service: DemoService, inputs: Inputs) -> None:
    with gr.Tab("Perturb & compare"):
        with gr.Row():
            family = gr.Dropdown(
                service.family_names(), value="char_swap", label="Perturbation family"
            )
            strength = gr.Slider(0.0, 1.0, value=0.2, step=0.05, label="Strength (unit share)")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
        with gr.Row():
            perturb_btn = gr.Button("Perturb")
            compare_btn = gr.Button("Perturb & compare", variant="primary")
        status = gr.HTML(elem_id="status")
        view = gr.HTML(label="Clean and perturbed input", elem_id="perturbed")
        table = gr.HTML(elem_id="predictions")

    def handler(method: str, header: list[str]):
        def run(task, models, a, b, premise, question, c1, c2, language, family, strength, seed):
            try:
                fields = _fields(a, b, premise, question, c1, c2)
                request = service.parse(task, fields, language)
                call = service.compare if method == "compare" else service.perturb
                return _outputs(call(request, models, family, strength, seed))
            except Exception as err:
                return _failure(err), "", table_html(header, [])

        return run

    args = [*inputs.common, family, strength, seed]
    outputs = [status, view, table]
    perturb_btn.click(handler("perturb", EFFECTIVE_HEADER), args, outputs, **PRIVATE)
    compare_btn.click(handler("compare", PREDICTION_HEADER), args, outputs, **PRIVATE)


def attack_tab(service: DemoService, inputs: Inputs) -> None:
    with gr.Tab("Attack"):
        presets = {"default": AttackSettings(), **service.attack_presets}
        preset = gr.Dropdown(
            list(presets),
            value="default",
            label="Budget preset",
            info="default: the attack's own defaults, every family; others: the run's attacks "
            "in params.yaml",
        )
        with gr.Row():
            fraction = gr.Slider(0.05, 1.0, value=0.2, step=0.05, label="Max unit fraction")
            queries = gr.Slider(
                10, service.limits.max_queries, value=200, step=10, label="Max queries"
            )
            beam = gr.Slider(1, 8, value=1, step=1, label="Beam width")
            candidates = gr.Slider(1, 16, value=4, step=1, label="Candidates per unit")
        families = gr.CheckboxGroup(
            service.family_names(),
            value=[],
            label="Families the attack may use (none ticked: all that support the language)",
        )
        seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
        button = gr.Button("Attack", variant="primary")
        status = gr.HTML(elem_id="attack-status")
        view = gr.HTML(elem_id="attack-view")
        table = gr.HTML(elem_id="attack-results")

    def on_preset(name: str):
        chosen = presets.get(name, AttackSettings())
        return (
            chosen.max_unit_fraction,
            chosen.max_queries,
            chosen.beam_width,
            chosen.candidates_per_unit,
            list(chosen.families),
        )

    def run(
        task, models, a, b, premise, question, c1, c2, language,
        fraction, queries, beam, candidates, chosen, seed,
        progress=gr.Progress(),  # noqa: B008 - how gradio injects a progress tracker
    ):  # fmt: skip
        try:
            request = service.parse(task, _fields(a, b, premise, question, c1, c2), language)
            settings = AttackSettings(fraction, queries, beam, candidates, tuple(chosen or ()))
            report = lambda f, d: progress(f, desc=d)  # noqa: E731
            return _outputs(service.attack(request, models, settings, seed, report))
        except Exception as err:
            return _failure(err), "", table_html(ATTACK_HEADER, [])

    preset.change(on_preset, [preset], [fraction, queries, beam, candidates, families], **PRIVATE)
    args = [*inputs.common, fraction, queries, beam, candidates, families, seed]
    button.click(run, args, [status, view, table], **PRIVATE)


def tag_page(
    service: DemoService,
    task: object,
    models: object,
    sentence: object,
    language: object,
    family: object,
    strength: object,
    seed: object,
) -> tuple[str, str]:
    """The Tagging tab's request: (status, view) HTML; a refusal is one escaped line."""
    try:
        request = service.parse_sentence(task, sentence, language)
        result = service.tag(request, models, family, strength, seed)
        return message_html(result.message), tag_html(result)
    except Exception as err:
        return _failure(err), ""


def tagging_tab(service: DemoService, inputs: Inputs) -> gr.Markdown | None:
    """The Tagging tab; its notice (returned) shows while the target task is not a tagging one.
    Without a tagging checkpoint it holds only a one-line notice."""
    tasks = service.tagging_tasks()
    with gr.Tab("Tagging"):
        if not tasks:
            gr.Markdown(NO_TAGGING, elem_id="tag-none")
            return None
        first = inputs.task.value
        notice = gr.Markdown(pick_tagging_notice(tasks), visible=first not in tasks)
        sentence = gr.Textbox(
            label="Sentence (words separated by spaces)",
            info=TAGGING_HELP,
            lines=2,
            max_length=service.limits.max_chars,
            elem_classes="bidi-auto",
        )
        gr.Examples(
            tagging_rows(),
            [sentence, inputs.language],
            label="Examples: sample-world rows are made-up pseudo-words",
            example_labels=tagging_labels(),
            api_visibility="private",
        )
        with gr.Row():
            family = gr.Dropdown(
                service.family_names(), value="char_swap", label="Perturbation family"
            )
            strength = gr.Slider(0.0, 1.0, value=0.2, step=0.05, label="Strength (unit share)")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
        button = gr.Button("Tag clean & perturbed", variant="primary")
        status = gr.HTML(elem_id="tag-status")
        view = gr.HTML(elem_id="tag-view")

    def run(task, models, sentence, language, family, strength, seed):
        return tag_page(service, task, models, sentence, language, family, strength, seed)

    args = [inputs.task, inputs.models, sentence, inputs.language, family, strength, seed]
    button.click(run, args, [status, view], **PRIVATE)
    return notice


NO_QA = (
    "No question-answering checkpoint is loaded: add `xquad` (or `tydiqa`, `mlqa`) to the "
    "targets of params.yaml and run `make repro`."
)
QA_HELP = (
    "The context the answer is cut from, and a question about it. With no gold answer to keep, "
    "the perturbation may edit any part of the context (the evaluation leaves the gold answers "
    "alone)."
)


def qa_page(
    service: DemoService,
    task: object,
    models: object,
    context: object,
    question: object,
    language: object,
    family: object,
    strength: object,
    seed: object,
) -> tuple[str, str]:
    """The Question answering tab's request: (status, view) HTML; a refusal is one escaped
    line."""
    try:
        request = service.parse_question(task, context, question, language)
        result = service.answer(request, models, family, strength, seed)
        return message_html(result.message), qa_html(result)
    except Exception as err:
        return _failure(err), ""


def qa_tab(service: DemoService) -> None:
    """The Question answering tab: its own task and models (the QA targets' checkpoints)."""
    tasks = service.qa_tasks()
    with gr.Tab("Question answering"):
        if not tasks:
            gr.Markdown(NO_QA, elem_id="qa-none")
            return
        task = gr.Dropdown(tasks, value=tasks[0], label="QA task")
        choices = service.model_choices(tasks[0])
        models = gr.CheckboxGroup(
            choices=choices, value=[key for _, key in choices], label="Models"
        )
        context = gr.Textbox(
            label="Context", info=QA_HELP, lines=4, max_length=service.limits.max_chars,
            elem_classes="bidi-auto",
        )  # fmt: skip
        question = gr.Textbox(
            label="Question", lines=1, max_length=service.limits.max_chars,
            elem_classes="bidi-auto",
        )  # fmt: skip
        with gr.Row():
            language = gr.Dropdown(LANGUAGES, value="auto", label="Language")
            family = gr.Dropdown(
                service.family_names(), value="char_swap", label="Perturbation family"
            )
            strength = gr.Slider(0.0, 1.0, value=0.2, step=0.05, label="Strength (unit share)")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
        button = gr.Button("Answer clean & perturbed", variant="primary")
        status = gr.HTML(elem_id="qa-status")
        view = gr.HTML(elem_id="qa-view")

    def on_task(name: str):
        found = service.model_choices(name) if name in tasks else []
        return gr.CheckboxGroup(choices=found, value=[key for _, key in found])

    def run(name, keys, context, question, language, family, strength, seed):
        return qa_page(service, name, keys, context, question, language, family, strength, seed)

    task.change(on_task, [task], [models], **PRIVATE)
    args = [task, models, context, question, language, family, strength, seed]
    button.click(run, args, [status, view], **PRIVATE)


def retrieval_page(
    service: DemoService,
    query: object,
    language: object,
    models: object,
    family: object,
    strength: object,
    seed: object,
    k: object,
) -> tuple[str, str]:
    """The Retrieval tab's request: (status, table) HTML; a refusal is one escaped line."""
    try:
        answer = service.retrieval.search(query, language, models, family, strength, seed, k)
    except Exception as err:
        return _failure(err), ""
    seen = "sees" if answer.effective else "does not see (the perturbation is erased)"
    status = (
        f"Query ({answer.language}): {answer.query}\nPerturbed: {answer.perturbed}\n"
        f"The tokenizer {seen} the change."
    )
    return message_html(status), table_html(RETRIEVAL_HEADER, answer.rows())


def retrieval_tab(service: DemoService) -> None:
    """A query in any language against each condition's encoder: its nearest English
    sentences of the run's Tatoeba sets, clean and perturbed."""
    with gr.Tab("Retrieval"):
        if isinstance(service.retrieval, str) or service.retrieval is None:
            gr.Markdown(str(service.retrieval or "No retrieval models loaded."))
            return
        gr.Markdown(RETRIEVAL_HELP)
        query = gr.Textbox(
            label="Query", lines=2, max_length=service.limits.max_chars, elem_classes="bidi-auto"
        )
        with gr.Row():
            language = gr.Dropdown(LANGUAGES, value="auto", label="Language")
            keys = service.retrieval.model_keys()
            models = gr.CheckboxGroup(keys, value=keys, label="Encoders")
        with gr.Row():
            family = gr.Dropdown(
                service.family_names(), value="char_swap", label="Perturbation family"
            )
            strength = gr.Slider(0.0, 1.0, value=0.2, step=0.05, label="Strength (unit share)")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
            k = gr.Number(value=5, precision=0, minimum=1, maximum=20, label="Candidates")
        button = gr.Button("Retrieve clean & perturbed", variant="primary")
        status = gr.HTML(elem_id="retrieval-status")
        table = gr.HTML(elem_id="retrieval-table")

    def run(query, language, models, family, strength, seed, k):
        return retrieval_page(service, query, language, models, family, strength, seed, k)

    button.click(
        run, [query, language, models, family, strength, seed, k], [status, table], **PRIVATE
    )


RETRIEVAL_HELP = (
    "Type a sentence in any language: each condition's encoder (the base model's for `none`, "
    "no target training) finds its nearest English sentences among the run's Tatoeba sets, for "
    "the sentence as typed and perturbed. Does a perturbed query still find the same sentence?"
)


def explain_tab(service: DemoService) -> None:
    with gr.Tab("What am I looking at?"):
        gr.Markdown(guide_markdown(service.condition_table(), service.family_instances()))


def report_tab(service: DemoService) -> None:
    with gr.Tab("Report"):
        gr.Markdown(report_markdown(service.report), elem_id="report")


def headline_panel() -> tuple[gr.Markdown, gr.Dataframe]:
    with gr.Accordion("Headline robustness numbers of the run", open=True):
        note = gr.Markdown()
        table = gr.Dataframe(label="Metrics (from metrics/evaluate)", wrap=True)
    return note, table


def build_demo(service: DemoService) -> gr.Blocks:
    tasks = service.tasks()
    first = "xnli" if "xnli" in tasks else tasks[0]
    with DemoBlocks(title="X-STILTs robustness demo", analytics_enabled=False) as demo:
        gr.Markdown(header_markdown(list(service.catalogue.models.values()), service.report))
        inputs = input_widgets(service, first)
        perturb_tab(service, inputs)
        attack_tab(service, inputs)
        tag_notice = tagging_tab(service, inputs)
        qa_tab(service)
        retrieval_tab(service)
        explain_tab(service)
        report_tab(service)
        note, table = headline_panel()

        def on_task(task: str):
            known = task in tasks
            kind = _kind(task) if known else "pair"
            choices = service.model_choices(task) if known else []
            try:
                result = service.headline(task)
                headline = result.message, pd.DataFrame(result.rows, columns=result.header)
            except XstiltsError as err:
                headline = str(err), pd.DataFrame([], columns=["metric"])
            tagging = kind == "tagging"
            return [
                gr.CheckboxGroup(choices=choices, value=[key for _, key in choices]),
                gr.Markdown(tagging_notice(task) if tagging else "", visible=tagging),
                *([gr.Markdown(visible=not tagging)] if tag_notice is not None else []),
                gr.Column(visible=kind in ("pair", "single")),
                gr.Textbox(visible=kind == "pair"),
                gr.Column(visible=kind == "choice"),
                *(gr.Column(visible=t == task) for t in tasks),
                *headline,
            ]

        outputs = [
            inputs.models,
            inputs.tagging_note,
            *([tag_notice] if tag_notice is not None else []),
            inputs.pair_box,
            inputs.text_b,
            inputs.choice_box,
            *inputs.example_boxes,
            note,
            table,
        ]
        inputs.task.change(on_task, [inputs.task], outputs, **PRIVATE)
        demo.load(on_task, [inputs.task], outputs, **PRIVATE)
        add_api(service)
    return demo


def launch(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    queue_size: int = 64,
    concurrency: int = 2,
    prevent_thread_lock: bool = False,
):
    """Serve with a bounded queue, no share link, no monitoring endpoint, no run history."""
    demo.queue(max_size=queue_size, default_concurrency_limit=concurrency)
    return demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        prevent_thread_lock=prevent_thread_lock,
        show_error=False,
        enable_monitoring=False,
        run_history=False,
        footer_links=["api"],
        max_file_size="1mb",
        mcp_server=False,
        ssr_mode=False,
        pwa=False,
        quiet=prevent_thread_lock,
        css=CSS,
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        service = build_service(args)
    except XstiltsError as err:
        print(f"xstilts app: error: {err}", file=sys.stderr)
        return 2
    loaded = time.perf_counter() - started
    print(
        f"loaded {len(service.catalogue.models)} model(s) for {', '.join(service.tasks())} "
        f"from {args.models} in {loaded:.1f}s",
        flush=True,
    )
    launch(build_demo(service), args.host, args.port, args.queue_size, args.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
