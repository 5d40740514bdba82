"""Task specifications: everything the pipeline knows about a task, declared once.

A spec says where each split comes from in each profile (a pinned hub dataset for `full`, a file
of the sample world for `sample`), how a source row becomes a typed example, the canonical label
names in a fixed order, the languages and the metric. Source rows in both profiles have the hub's
schema, so one row converter serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from xstilts.errors import XstiltsError
from xstilts.examples import EXAMPLE_TYPES, ChoiceExample, Example, SpanExample, TaggedExample

Kind = Literal["pair", "single", "choice", "tagging", "span"]
# intermediate: usable in conditions; target: trained in English, evaluated in every language;
# training: English training data that only a target's `train_sequence` uses (SIQA, COPA).
Role = Literal["intermediate", "target", "training"]
Row = Mapping[str, Any]

NLI_LABELS = ("entailment", "neutral", "contradiction")  # one NLI label space, shared
# nyu-mll/glue mnli, stanfordnlp/snli, facebook/anli and facebook/xnli all declare their label
# column as ClassLabel(names=[entailment, neutral, contradiction]) (dataset cards)
NLI_HUB_NAMES = ("entailment", "neutral", "contradiction")


class RowError(ValueError):
    """A source row that does not fit the task's schema; the loader adds where it came from."""


class SkipRow(Exception):
    """A row the dataset itself marks as unusable (SNLI's -1 'no gold label'); the loader drops
    it and counts it under `reason`. Only converters that document such a marker raise this."""

    reason = "no gold label"


class RareDefect(RowError):
    """A defect real datasets have in a few rows: the loader drops and counts them under
    `reason`, up to `EMPTY_TEXT_SHARE` of a source; more than that means a wrong field, and the
    first one is reported as an error."""

    reason = "defective row"


class EmptyText(RareDefect):
    """A text field that is empty (GLUE QQP's train split has two rows with an empty
    question2)."""

    reason = "empty text"


class MisplacedAnswer(RareDefect):
    """A gold answer whose text does not occur in its context (span QA). A dataset where many
    do (a wrong field) exceeds the share and fails."""

    reason = "answer not in its context"


EMPTY_TEXT_SHARE = 0.001
# a converter's note that it repaired the row (e.g. moved an answer offset), under this key of
# its fields; the loader counts the notes and `prepare` reports them (`repaired_rows`)
REPAIRED = "_repaired"


@dataclass(frozen=True)
class HubSource:
    """One split of a dataset on the Hugging Face hub, at a pinned revision.

    `config` may contain `{lang}`, filled per language (e.g. facebook/xnli's per-language configs).
    `label_names`: the class names the dataset declares for its integer `label_field` column
    (its ClassLabel feature, or a sequence of them for a tag column, as on the dataset card), in
    order. The loader asserts that the dataset at this revision declares exactly these, so a
    reordered label column fails loudly instead of being decoded by a stale position table.
    """

    path: str
    config: str | None
    split: str
    revision: str | None  # None: no commit could be verified; loading refuses, saying so
    label_names: tuple[str, ...] = ()
    label_field: str = "label"  # the column whose class names `label_names` are
    # `{name}` in `config` is filled from these (code, config name) pairs (google/xtreme's
    # UD-POS configs are named by language name: `udpos.English`)
    config_names: tuple[tuple[str, str], ...] = ()
    # keep only rows whose `id` starts with this (`{lang}`/`{name}` filled as in `config`): a
    # split that holds every language in one table (TyDiQA's ids begin `english-`, `arabic-`)
    id_prefix: str | None = None

    def for_lang(self, lang: str) -> HubSource:
        name = dict(self.config_names).get(lang, lang)
        config = self.config.format(lang=lang, name=name) if self.config else None
        prefix = self.id_prefix.format(lang=lang, name=name) if self.id_prefix else None
        return replace(self, config=config, split=self.split.format(lang=lang), id_prefix=prefix)

    def describe(self) -> str:
        config = f" ({self.config})" if self.config else ""
        pin = f"at revision {self.revision}" if self.revision else "(no pinned revision)"
        rows = f", ids '{self.id_prefix}...'" if self.id_prefix else ""
        return f"{self.path}{config} split '{self.split}'{rows} {pin}"


CROSS_SPLIT = "test-question-"  # + the question language: a cross-language test split


def cross_split(question: str) -> str:
    """The name of the test split whose questions are in `question` (contexts in its `lang`)."""
    return f"{CROSS_SPLIT}{question}"


def cross_question(split: str) -> str | None:
    """The question language of a cross-language test split; None for any other split."""
    return split.removeprefix(CROSS_SPLIT) if split.startswith(CROSS_SPLIT) else None


@dataclass(frozen=True)
class SplitSource:
    """Where one canonical split (train, dev or test) comes from in each profile.

    `hub` may be several splits read one after the other as one split (ANLI+ trains on SNLI,
    MNLI and ANLI R1-R3 together). `sample` is None for tasks the sample world does not have.
    """

    sample: str | None  # path relative to the sample world root, may contain {lang}
    hub: HubSource | tuple[HubSource, ...] | None = None

    @property
    def hub_parts(self) -> tuple[HubSource, ...]:
        if self.hub is None:
            return ()
        return self.hub if isinstance(self.hub, tuple) else (self.hub,)


@dataclass(frozen=True)
class SizeFacts:
    """Stated sizes, used by `xstilts plan` when the hub cannot be asked (full profile).

    `rows`: examples per canonical split from the hub dataset card (a test split: per
    language). `tokens`: an estimate of tokens per input sequence after dynamic padding (XLM-R
    tokenizer, batch maximum, before the max_length cap). `sequences`: input sequences per
    example (one per choice for multiple choice).
    """

    rows: Mapping[str, int]
    tokens: int
    sequences: int = 1


@dataclass(frozen=True)
class TaskSpec:
    """A task: its sources, its row converter and its label space."""

    name: str
    kind: Kind
    role: Role
    splits: Mapping[str, SplitSource]  # canonical split name -> sources
    convert: Callable[[Row], dict[str, Any]]  # row -> example fields (no id/lang)
    labels: tuple[str, ...] = ()  # canonical label (or tag) names; empty for multiple choice
    head: str | None = None  # tasks sharing a head share its name (one NLI head, ...)
    metric: str = "accuracy"
    languages: tuple[str, ...] = ("en",)  # full-profile evaluation languages
    # the sample world's test languages, when not every sample language (TyDiQA-shaped: the
    # ones TyDiQA has)
    sample_languages: tuple[str, ...] | None = None
    id_field: str | None = None  # row field used as example id (else the row index)
    # test rows with one id are translations of one another in every language (XNLI, PAWS-X,
    # XCOPA): the attack's word budget is a fraction of the English example's words
    # (`evaluate.under_attack`), and a pair task's generalized setting pairs a text with another
    # language's (`evaluate.generalized`)
    parallel_test: bool = False
    notes: str = ""  # documented choices (input format, truncation, splits)
    size: SizeFacts | None = None  # stated sizes for `plan` (full profile)
    # span QA: the answer normalisation of the benchmark's official script (`qa_metrics`)
    normalization: str = "squad"
    # span QA's generalized cross-lingual transfer (MLQA's G-XLT): test sets whose questions
    # are in another language than their contexts and answers; `config` holds `{context}` and
    # `{question}` (google/xtreme's `MLQA.<context>.<question>`). Read as the test splits named
    # `cross_split(question)`, in the context's language (`evaluate.cross_language`).
    cross_language_test: HubSource | None = None

    @property
    def head_name(self) -> str:
        return self.head or self.name

    def cross_source(self, question: str) -> SplitSource:
        """The split of contexts in any language (`{lang}`) with questions in `question`."""
        if self.cross_language_test is None or self.cross_language_test.config is None:
            raise XstiltsError(f"task {self.name} has no cross-language test sets")
        config = self.cross_language_test.config.format(context="{lang}", question=question)
        return SplitSource(None, replace(self.cross_language_test, config=config))

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    def make_example(self, row: Row, index: int, lang: str) -> Example:
        """Convert one source row; raises RowError naming the field at fault."""
        return self.make_example_noting(row, index, lang)[0]

    def make_example_noting(self, row: Row, index: int, lang: str) -> tuple[Example, str | None]:
        """`make_example`, and the repair the converter made to the row, if any (`REPAIRED`:
        the loader counts them)."""
        fields = dict(self.convert(row))
        repair = fields.pop(REPAIRED, None)
        example_id = str(row[self.id_field]) if self.id_field else str(index)
        example = EXAMPLE_TYPES[self.kind](id=example_id, lang=lang, **fields)
        self._check(example)
        return example, repair

    def _check(self, example: Example) -> None:
        if isinstance(example, TaggedExample):
            for position, tag in enumerate(example.tags):
                if not 0 <= tag < self.num_labels:
                    raise RowError(f"tags[{position}]: {tag} outside {self.labels}")
        elif isinstance(example, SpanExample):
            return
        elif isinstance(example, ChoiceExample):
            if len(example.choices) < 2:
                raise RowError("choices: fewer than two choices")
            if not 0 <= example.label < len(example.choices):
                raise RowError(f"label: {example.label} is not a choice index")
        elif not 0 <= example.label < self.num_labels:
            raise RowError(f"label: {example.label} outside {self.labels}")


# --- helpers shared by the task files -------------------------------------------------------


def field_value(row: Row, name: str) -> Any:
    if name not in row:
        raise RowError(f"{name}: missing field (row has {', '.join(sorted(row))})")
    return row[name]


def text_field(row: Row, name: str) -> str:
    value = field_value(row, name)
    if not isinstance(value, str):
        raise RowError(f"{name}: expected text, got {type(value).__name__}")
    if not value.strip():
        raise EmptyText(f"{name}: empty text")
    return value


def choice_texts(values: Any, name: str) -> tuple[str, ...]:
    """A list of answer texts: anything but a list of strings is a malformed row (RowError); a
    blank one is an empty text (EmptyText), dropped and counted like any empty text."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RowError(f"{name}: expected a list of texts")
    for position, value in enumerate(values):
        if not value.strip():
            raise EmptyText(f"{name}[{position}]: empty text")
    return tuple(values)


def optional_text(row: Row, name: str) -> str:
    """A text field that the dataset may leave empty (HellaSwag's ctx_b)."""
    value = field_value(row, name)
    if not isinstance(value, str):
        raise RowError(f"{name}: expected text, got {type(value).__name__}")
    return value.strip()


def label_by_name(
    source_names: tuple[str, ...], canonical: tuple[str, ...]
) -> Callable[[Any], int]:
    """Map a source label (its integer position in `source_names`, or the name itself) to the
    canonical index, going through the label *name* so different orders cannot be confused."""
    missing = set(source_names) - set(canonical)
    assert not missing, f"source labels {missing} have no canonical name in {canonical}"

    def decode(value: Any) -> int:
        if isinstance(value, bool):
            raise RowError(f"label: expected an integer or a name, got {value!r}")
        if isinstance(value, int):
            if not 0 <= value < len(source_names):
                raise RowError(f"label: {value} is not one of 0..{len(source_names) - 1}")
            name = source_names[value]
        elif isinstance(value, str) and value in canonical:
            name = value
        else:
            raise RowError(f"label: {value!r} is not one of {source_names}")
        return canonical.index(name)

    return decode


def pair_converter(
    text_a: str, text_b: str, decode: Callable[[Any], int], label: str = "label"
) -> Callable[[Row], dict[str, Any]]:
    def convert(row: Row) -> dict[str, Any]:
        return {
            "text_a": text_field(row, text_a),
            "text_b": text_field(row, text_b),
            "label": decode(field_value(row, label)),
        }

    return convert


def tagging_converter(
    words: str, tags: str, decode: Callable[[Any], int]
) -> Callable[[Row], dict[str, Any]]:
    """Rows holding a sentence as a list of words and one tag per word (UD-POS `tokens` +
    `pos_tags`, WikiANN `tokens` + `ner_tags`). A sentence without words is an empty text (a
    counted skip); a length mismatch, a non-text word or an unknown tag names its field. A word
    of only spaces or invisible characters is kept: the model reads it as `<unk>`, counted
    (`xstilts.modeling.tagged_inputs`)."""

    def convert(row: Row) -> dict[str, Any]:
        word_list, tag_list = field_value(row, words), field_value(row, tags)
        if not isinstance(word_list, list) or not all(isinstance(w, str) for w in word_list):
            raise RowError(f"{words}: expected a list of texts")
        if not isinstance(tag_list, list):
            raise RowError(f"{tags}: expected a list of tags")
        if not word_list:
            raise EmptyText(f"{words}: empty sentence")
        if len(word_list) != len(tag_list):
            raise RowError(f"{tags}: {len(tag_list)} tags for {len(word_list)} {words}")
        decoded = []
        for position, tag in enumerate(tag_list):
            try:
                decoded.append(decode(tag))
            except RowError as err:
                raise RowError(f"{tags}[{position}]: {str(err).removeprefix('label: ')}") from None
        return {"words": tuple(word_list), "tags": tuple(decoded)}

    return convert


def span_converter(
    context: str = "context", question: str = "question", answers: str = "answers"
) -> Callable[[Row], dict[str, Any]]:
    """SQuAD-format rows (SQuAD, XQuAD, MLQA, TyDiQA-GoldP on the hub): a context, a question
    and `answers` as `{text: [...], answer_start: [...]}` (character offsets).

    An answer whose text is not at its stated offset is moved to the nearest place where the
    text occurs in the context (counted as a repair: the hub's loaders stripped leading
    whitespace off some contexts without moving the offsets, e.g. TyDiQA-GoldP); one whose text
    does not occur at all makes the row a counted skip (`MisplacedAnswer`). A row without
    answers (SQuAD v2's unanswerable) is an error."""

    def convert(row: Row) -> dict[str, Any]:
        ctx, query = text_field(row, context), text_field(row, question)
        gold = field_value(row, answers)
        if not isinstance(gold, Mapping) or not {"text", "answer_start"} <= set(gold):
            raise RowError(f"{answers}: expected {{text: [...], answer_start: [...]}}")
        texts, starts = list(gold["text"]), list(gold["answer_start"])
        if not texts:
            raise RowError(f"{answers}: no answer (unanswerable questions are not span QA)")
        if len(texts) != len(starts) or not all(isinstance(t, str) for t in texts):
            raise RowError(f"{answers}: {len(texts)} texts for {len(starts)} answer_start")
        placed, moved = [], False
        for position, (text, start) in enumerate(zip(texts, starts, strict=True)):
            if not isinstance(start, int) or isinstance(start, bool):
                raise RowError(f"{answers}.answer_start[{position}]: expected an integer")
            if not text.strip():
                raise EmptyText(f"{answers}.text[{position}]: empty text")
            where = nearest_occurrence(ctx, text, start)
            if where is None:
                raise MisplacedAnswer(
                    f"{answers}.text[{position}]: {text!r} does not occur in the context"
                )
            placed.append(where)
            moved |= where != start
        fields = {"context": ctx, "question": query, "answers": tuple(texts)}
        fields["starts"] = tuple(placed)
        if moved:
            fields[REPAIRED] = "answer offset moved to where its text is"
        return fields

    return convert


def nearest_occurrence(context: str, text: str, start: int) -> int | None:
    """`start` when `text` is there, else the offset of the occurrence of `text` nearest to it
    (the earlier one on a tie), or None when it does not occur."""
    if start >= 0 and context.startswith(text, start):
        return start
    best, found = None, context.find(text)
    while found != -1:
        if best is None or abs(found - start) < abs(best - start):
            best = found
        found = context.find(text, found + 1)
    return best


# The NLI sources encode 0 entailment, 1 neutral, 2 contradiction (their declared class names,
# checked at load); names (jiant/XTREME files) are accepted too.
decode_nli = label_by_name(NLI_HUB_NAMES, NLI_LABELS)
