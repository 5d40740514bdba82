"""The question-answering view: every model's answer to one question about one context, clean
and perturbed, highlighted in the context it was read from.

The user types a context and a question, with no gold answer: the perturbation is the
evaluation's own for span QA (`perturbview.perturb_example`, which takes `xstilts.perturb.spans`'
rule: the question and the whole context, with no gold answers to carry). Each model
reads its windows of the context as evaluation does (`Windowing` at the checkpoint's length, the
recipe's doc stride and question length) and picks its answer as evaluation does (`SpanChoice`).
An answer *changed* when its normalised text (SQuAD's normalisation, `xstilts.qa_metrics`)
differs between the clean and the perturbed input.

`qa_html` draws the result; every piece of user text is escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from xstilts.config import SpanConfig
from xstilts.demo.catalogue import LoadedModel
from xstilts.demo.perturbview import PerturbedExample
from xstilts.demo.render import field_diffs
from xstilts.examples import SpanExample
from xstilts.modeling.predict_spans import Answer, SpanChoice, predict_spans
from xstilts.modeling.span_inputs import Windowing
from xstilts.qa_metrics import squad_tokens

CSS = """
.xs-qa { display: flex; flex-direction: column; gap: 0.8em; }
.xs-qacard { border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 0.5em;
  padding: 0.5em 0.6em; display: flex; flex-direction: column; gap: 0.4em; }
.xs-qarow { white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext; }
.xs-qanote { font-size: 0.8em; opacity: 0.75; }
mark.xs-answer { background: rgba(255, 193, 7, 0.55); border-radius: 0.2em; padding: 0 0.1em; }
"""


@dataclass(frozen=True)
class ModelAnswers:
    label: str
    clean: Answer
    perturbed: Answer
    effective: str  # "effective", "erased by the tokenizer" or "no edit"

    @property
    def changed(self) -> bool:
        return squad_tokens(self.clean.text) != squad_tokens(self.perturbed.text)


@dataclass(frozen=True)
class QAResult:
    """What a question-answering request returns: the inputs clean and perturbed, every
    model's answers, a message."""

    task: str
    language: str
    view: PerturbedExample
    models: list[ModelAnswers]
    message: str = ""

    @property
    def clean(self) -> SpanExample:
        return self.view.clean  # type: ignore[return-value]

    @property
    def perturbed(self) -> SpanExample:
        return self.view.perturbed  # type: ignore[return-value]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for API clients: answers with their character offsets in the context
        they were read from (-1 when no span was valid)."""
        edits = {name: p.edits for name, p in self.view.fields.items()}
        return {
            "message": self.message,
            "language": self.language,
            "task": self.task,
            "family": self.view.family,
            "fields": [d.as_dict() for d in field_diffs(self.clean, edits)],
            "question": self.clean.question,
            "perturbed_question": self.perturbed.question,
            "context": self.clean.context,
            "perturbed_context": self.perturbed.context,
            "models": [
                {
                    "model": m.label,
                    "clean": _answer_dict(m.clean),
                    "perturbed": _answer_dict(m.perturbed),
                    "changed": m.changed,
                    "effective": m.effective,
                }
                for m in self.models
            ],
        }


def _answer_dict(answer: Answer) -> dict[str, Any]:
    return {"text": answer.text, "start": answer.start, "end": answer.end}


def answer_with(
    model: LoadedModel, view: PerturbedExample, max_length: int, effective: str
) -> ModelAnswers:
    """One model's answers on the clean and the perturbed input (the caller holds its lock):
    windows of the checkpoint's length, XTREME's doc stride and question length (the question
    cut to half a window on a short model)."""
    spans = SpanConfig()  # the recipe's defaults: XTREME's
    query = min(spans.max_query_length, max(max_length // 2, 1))
    windowing = Windowing(max_length, spans.doc_stride, query)
    answers = predict_spans(
        model.model,
        model.tokenizer,
        model.head,
        [view.clean, view.perturbed],  # type: ignore[list-item]
        windowing,
        SpanChoice.of(spans),
        batch_size=8,
    )
    return ModelAnswers(model.label, answers[0], answers[1], effective)


def qa_html(result: QAResult) -> str:
    """One card per model: the context with its answer highlighted, clean and perturbed."""
    cards = [
        '<div class="xs-qacard">'
        f'<div class="xs-qahead">{html.escape(m.label)}'
        f"{' <b>answer changed</b>' if m.changed else ''} "
        f'<span class="xs-qanote">({html.escape(m.effective)})</span></div>'
        '<div class="xs-qarow"><span class="xs-tag">clean</span>'
        f"{_highlighted(result.clean.context, m.clean)}</div>"
        '<div class="xs-qarow"><span class="xs-tag">perturbed</span>'
        f"{_highlighted(result.perturbed.context, m.perturbed)}</div>"
        "</div>"
        for m in result.models
    ]
    question = (
        '<div class="xs-qaq"><b>Question</b> '
        f'<span dir="auto">{html.escape(result.clean.question)}</span>'
        " &rarr; "
        f'<span dir="auto">{html.escape(result.perturbed.question)}</span></div>'
    )
    return '<div class="xs-qa">' + question + "".join(cards) + "</div>"


def _highlighted(context: str, answer: Answer) -> str:
    if answer.start < 0:
        return f'<span dir="auto">{html.escape(context)}</span> <i>(no answer)</i>'
    before, span, after = (
        context[: answer.start],
        context[answer.start : answer.end],
        context[answer.end :],
    )
    return (
        f'<span dir="auto">{html.escape(before)}<mark class="xs-answer">{html.escape(span)}'
        f"</mark>{html.escape(after)}</span>"
    )
