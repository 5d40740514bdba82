"""The Gradio demo: type a sentence pair (or a COPA item) in any language, perturb it, and see the
conditions' models side by side; attack them within a budget; read the run's headline numbers.

Widgets only: every check, prediction and table comes from `xstilts.demo`. Start it with
`make app` or `xstilts app [--models DIR] [--metrics DIR] [--host 127.0.0.1] [--port 7860]`
(`python app/main.py ...` works too). It binds 127.0.0.1 unless told otherwise (`--host 0.0.0.0`
inside a container), never makes a share link, sends no analytics and records no run history.
"""

from __future__ import annotations

import os

# Before gradio is imported: no telemetry, no version check, no run history.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_RUN_HISTORY", "False")

import argparse
import logging
import sys
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from xstilts.demo.catalogue import load_catalogue
from xstilts.demo.inputs import FIELDS, Limits
from xstilts.demo.perturbview import COLORS
from xstilts.demo.samples import example_rows
from xstilts.demo.service import (
    ATTACK_HEADER,
    EFFECTIVE_HEADER,
    PREDICTION_HEADER,
    AttackSettings,
    DemoService,
    Result,
)
from xstilts.errors import XstiltsError
from xstilts.tasks import get_task

LOG = logging.getLogger("xstilts.app")
LANGUAGES = [
    "auto", "en", "vi", "ru", "ar", "hi", "zh", "el", "he", "th", "ja", "ko", "ka", "ta", "bn",
    "hy", "fa", "uk", "bg", "tr", "de", "fr", "es", "sw", "mr",
]  # fmt: skip
CSS = """
.bidi-auto textarea, .bidi-auto .textfield { unicode-bidi: plaintext; }
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="xstilts app", description=__doc__.splitlines()[0])
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
    parser.add_argument("--lexicons", default="data/lexicon", help="code-switching lexicons")
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
    if Path(args.params).is_file():
        from xstilts.config import load_params

        params = load_params(args.params)
        runs = (
            args.conditions or list(params.condition_names),
            args.seeds or list(params.seeds),
        )
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
    return DemoService(
        catalogue,
        metrics_dir=Path(args.metrics),
        lexicon_dir=Path(args.lexicons),
        limits=Limits(max_chars=args.max_chars),
        max_length=args.max_length,
        runs=runs,
        attack_presets=presets,
    )


def _table(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header)


def _failure(err: Exception) -> str:
    """The user-facing message of a failed request; tracebacks stay in the server log."""
    if isinstance(err, XstiltsError):
        message = str(err)
    else:
        LOG.exception("request failed")
        message = f"internal error ({type(err).__name__}); the server log has the details"
    gr.Warning(message)
    return f"⚠️ {message}"


def _fields(task: str, text_a, text_b, premise, question, choice1, choice2) -> dict:
    return {
        "text_a": text_a,
        "text_b": text_b,
        "text": text_a,
        "premise": premise,
        "question": question,
        "choice1": choice1,
        "choice2": choice2,
    }


def build_demo(service: DemoService) -> gr.Blocks:
    tasks = service.tasks()
    first = "xnli" if "xnli" in tasks else tasks[0]
    limit = service.limits.max_chars

    def kind_of(task: str) -> str:
        return get_task(task).kind

    def run(kind: str, header: list[str]):
        """A handler for perturb or compare with the shared signature."""

        def handler(
            task, models, a, b, premise, question, c1, c2, language, family, strength, seed
        ):
            try:
                request = service.parse(
                    task, _fields(task, a, b, premise, question, c1, c2), language
                )
                method = service.compare if kind == "compare" else service.perturb
                result: Result = method(request, models, family, strength, seed)
                return result.message, result.segments, _table(result.header, result.rows)
            except Exception as err:
                return _failure(err), [], _table(header, [])

        return handler

    def attack(
        task,
        models,
        a,
        b,
        premise,
        question,
        c1,
        c2,
        language,
        fraction,
        queries,
        beam,
        candidates,
        chosen,
        seed,
        progress=gr.Progress(),  # noqa: B008 - how gradio injects a progress tracker
    ):
        try:
            request = service.parse(task, _fields(task, a, b, premise, question, c1, c2), language)
            settings = AttackSettings(
                max_unit_fraction=fraction,
                max_queries=queries,
                beam_width=beam,
                candidates_per_unit=candidates,
                families=tuple(chosen or ()),
            )
            result = service.attack(
                request, models, settings, seed, lambda f, d: progress(f, desc=d)
            )
            return result.message, result.segments, _table(result.header, result.rows)
        except Exception as err:
            return _failure(err), [], _table(ATTACK_HEADER, [])

    def headline(task: str):
        try:
            result = service.headline(task)
            return result.message, _table(result.header, result.rows)
        except Exception as err:
            return _failure(err), _table(["metric"], [])

    def on_task(task: str):
        kind = kind_of(task) if task in tasks else "pair"
        choices = service.model_choices(task) if task in tasks else []
        updates = [
            gr.CheckboxGroup(choices=choices, value=[key for _, key in choices]),
            gr.Column(visible=kind in ("pair", "single")),
            gr.Textbox(visible=kind == "pair"),
            gr.Column(visible=kind == "choice"),
        ]
        updates += [gr.Column(visible=t == task) for t in tasks]
        return [*updates, *headline(task)]

    with gr.Blocks(title="X-STILTs robustness demo", analytics_enabled=False) as demo:
        gr.Markdown(
            "# X-STILTs: does multi-task intermediate training make zero-shot transfer robust?\n"
            "Pick a target task and the models to compare (one per intermediate-training "
            "condition and seed), type an input in any language or pick an example, choose a "
            "perturbation and compare predictions on the clean and perturbed input. The "
            "**Attack** tab searches for a perturbation that flips each model."
        )
        with gr.Row():
            task = gr.Dropdown(tasks, value=first, label="Target task", scale=1)
            # Every model is a valid choice for API clients, whatever task they name (the
            # service checks that a model serves the task); the page narrows the list to the
            # chosen task's models when it loads and whenever the task changes.
            models = gr.CheckboxGroup(
                choices=[
                    (f"{m.task}: {m.label}", m.key) for m in service.catalogue.models.values()
                ],
                value=[key for _, key in service.model_choices(first)],
                label="Models (condition · seed)",
                scale=3,
            )
            language = gr.Dropdown(
                LANGUAGES,
                value="auto",
                allow_custom_value=True,
                label="Language",
                info="auto: guessed from the script",
                scale=1,
            )
        kind = kind_of(first)
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
            premise = gr.Textbox(
                label="Premise", lines=2, max_length=limit, elem_classes="bidi-auto"
            )
            question = gr.Radio(["cause", "effect"], value="cause", label="Question")
            with gr.Row():
                choice1 = gr.Textbox(label="Choice 1", max_length=limit, elem_classes="bidi-auto")
                choice2 = gr.Textbox(label="Choice 2", max_length=limit, elem_classes="bidi-auto")
        example_boxes = []
        for name in tasks:
            with gr.Column(visible=name == first) as box:
                rows = example_rows(name)
                if rows:
                    inputs = (
                        [premise, question, choice1, choice2]
                        if kind_of(name) == "choice"
                        else [text_a, text_b][: len(FIELDS[kind_of(name)])]
                    )
                    gr.Examples(
                        rows, [*inputs, language], label=f"Examples ({name})", examples_per_page=12
                    )
            example_boxes.append(box)

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
            status = gr.Markdown(elem_id="status")
            highlighted = gr.HighlightedText(
                label="Perturbed input (edits highlighted)",
                color_map=COLORS,
                show_legend=True,
                combine_adjacent=False,
                elem_id="perturbed",
                elem_classes="bidi-auto",
            )
            table = gr.Dataframe(
                headers=PREDICTION_HEADER, label="Predictions", wrap=True, elem_id="predictions"
            )
        with gr.Tab("Attack"):
            presets = {"default": AttackSettings(), **service.attack_presets}
            preset = gr.Dropdown(
                list(presets),
                value="default",
                label="Budget preset",
                info="default: the attack's own defaults, every family; others: the run's "
                "attacks in params.yaml",
            )
            with gr.Row():
                fraction = gr.Slider(0.05, 1.0, value=0.2, step=0.05, label="Max unit fraction")
                queries = gr.Slider(
                    10, service.limits.max_queries, value=200, step=10, label="Max queries"
                )
                beam = gr.Slider(1, 8, value=1, step=1, label="Beam width")
                candidates = gr.Slider(1, 16, value=4, step=1, label="Candidates per unit")
            attack_families = gr.CheckboxGroup(
                service.family_names(),
                value=[],
                label="Families the attack may use (none ticked: all that support the language)",
            )
            attack_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
            attack_btn = gr.Button("Attack", variant="primary")
            attack_status = gr.Markdown(elem_id="attack-status")
            attack_text = gr.HighlightedText(
                label="Adversarial inputs (edits highlighted)",
                color_map=COLORS,
                show_legend=True,
                elem_classes="bidi-auto",
            )
            attack_table = gr.Dataframe(
                headers=ATTACK_HEADER, label="Attack results", wrap=True, elem_id="attack-results"
            )
        with gr.Accordion("Headline robustness numbers of the run", open=True):
            headline_note = gr.Markdown()
            headline_table = gr.Dataframe(label="Metrics (from metrics/evaluate)", wrap=True)

        def on_preset(name: str):
            chosen = presets.get(name, AttackSettings())
            return (
                chosen.max_unit_fraction,
                chosen.max_queries,
                chosen.beam_width,
                chosen.candidates_per_unit,
                list(chosen.families),
            )

        preset.change(
            on_preset,
            [preset],
            [fraction, queries, beam, candidates, attack_families],
            api_visibility="private",
        )
        common = [task, models, text_a, text_b, premise, question, choice1, choice2, language]
        perturb_inputs = [*common, family, strength, seed]
        perturb_btn.click(
            run("perturb", EFFECTIVE_HEADER),
            perturb_inputs,
            [status, highlighted, table],
            api_name="perturb",
        )
        compare_btn.click(
            run("compare", PREDICTION_HEADER),
            perturb_inputs,
            [status, highlighted, table],
            api_name="compare",
        )
        attack_btn.click(
            attack,
            [*common, fraction, queries, beam, candidates, attack_families, attack_seed],
            [attack_status, attack_text, attack_table],
            api_name="attack",
        )
        task_outputs = [
            models,
            pair_box,
            text_b,
            choice_box,
            *example_boxes,
            headline_note,
            headline_table,
        ]
        task.change(on_task, [task], task_outputs, api_visibility="private")
        demo.load(on_task, [task], task_outputs, api_visibility="private")

        def headline_api(task: str) -> dict:
            """The run's headline numbers for a task: {note, header, rows}."""
            result = service.headline(str(task))
            return {"note": result.message, "header": result.header, "rows": result.rows}

        gr.api(headline_api, api_name="headline")
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
