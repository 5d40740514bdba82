"""What the demo accepts, checked on the server: browsers enforce `maxlength`, API clients don't.

Every field goes through `clean_field`: text only, at most `max_chars` characters, no control
characters, no lone surrogates, no explicit bidirectional overrides (they make the displayed text
differ from what the model reads), not empty where the task needs it. Problems raise `InputError`
with a message that says what to change. Mixed scripts and right-to-left text are valid (the
sample world itself mixes Latin names into every script) and get an explanatory note instead.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass

import regex

from xstilts.demo.headline import NAME
from xstilts.errors import XstiltsError
from xstilts.examples import (
    ChoiceExample,
    Example,
    PairExample,
    SpanExample,
    TaggedExample,
    TextExample,
)
from xstilts.perturb.segment import char_script
from xstilts.tasks import get_task

DEFAULT_MAX_CHARS = 1000
MAX_SEED = 2**32 - 1
RTL_SCRIPTS = frozenset({"Arabic", "Hebrew", "Syriac", "Thaana"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALLOWED_CONTROLS = frozenset("\t\n\r")
# Categories that draw nothing on their own: format characters (ZWJ, ZWSP, BOM...), combining
# marks with no base, spaces and separators. A field made only of these is not text to classify.
_UNSEEN = frozenset({"Cf", "Cc", "Mn", "Me", "Zs", "Zl", "Zp"})
_LETTER = regex.compile(r"\p{L}")
_LANGUAGE = regex.compile(r"^[a-z]{2,3}$")
_VIETNAMESE = regex.compile(r"[ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")

# Dominant script -> the language the perturbation families assume when the user picks "auto".
SCRIPT_LANGUAGE = {
    "Arabic": "ar", "Devanagari": "hi", "Han": "zh", "Cyrillic": "ru", "Greek": "el",
    "Hebrew": "he", "Thai": "th", "Hangul": "ko", "Hiragana": "ja", "Katakana": "ja",
    "Georgian": "ka", "Armenian": "hy", "Tamil": "ta", "Bengali": "bn",
}  # fmt: skip

# Text fields of each task kind, as (field name, what the UI calls it).
FIELDS = {
    "pair": (("text_a", "Sentence 1 / premise"), ("text_b", "Sentence 2 / hypothesis")),
    "single": (("text", "Text"),),
    "choice": (
        ("premise", "Premise"),
        ("question", "Question"),
        ("choice1", "Choice 1"),
        ("choice2", "Choice 2"),
    ),
}


class InputError(XstiltsError):
    """Input the demo cannot take; the message says what to change."""


@dataclass(frozen=True)
class Limits:
    max_chars: int = DEFAULT_MAX_CHARS  # per text field
    max_models: int = 32  # models in one request
    max_queries: int = 2000  # attack query budget ceiling


def clean_field(label: str, value: object, max_chars: int, required: bool = True) -> str:
    """The field's text, stripped, or an InputError naming the field and the problem."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(f"{label}: expected text, got {type(value).__name__} {shown(value)}")
    if len(value) > max_chars:
        raise InputError(
            f"{label} is {len(value):,} characters long; the limit is {max_chars:,}: "
            "shorten it (the models read at most a few hundred tokens anyway)"
        )
    for offset, char in enumerate(value):
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise InputError(f"{label} has a lone surrogate at offset {offset}: not valid text")
        if char in _BIDI_CONTROLS:
            raise InputError(
                f"{label} has the bidirectional control character U+{ord(char):04X} at offset "
                f"{offset}: it makes the shown text differ from what the model reads; remove it"
            )
        if unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS:
            raise InputError(
                f"{label} has the control character U+{ord(char):04X} at offset {offset}; "
                "remove it (tabs and line breaks are fine)"
            )
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise InputError(f"{label} is empty: type some text or pick one of the examples")
    if text and not any(unicodedata.category(c) not in _UNSEEN for c in text):
        raise InputError(
            f"{label} has no visible character (only format characters, combining marks or "
            "spaces): type some text or pick one of the examples"
        )
    return text


def shown(value: object, limit: int = 40) -> str:
    """`repr(value)`, cut to `limit` characters: messages name a bad value without echoing a
    megabyte of it back."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def scripts_in(text: str) -> list[str]:
    """The scripts of the letters of `text`, most frequent first."""
    counts = Counter(char_script(c) for c in text if _LETTER.match(c))
    return [name for name, _ in counts.most_common()]


def notes_for(texts: list[str]) -> list[str]:
    """Remarks (not errors) about valid input: mixed scripts, right-to-left text."""
    notes = []
    scripts = scripts_in(" ".join(texts))
    if len(scripts) > 1:
        notes.append(f"The input mixes scripts ({', '.join(scripts)}); the models read it as it is")
    if RTL_SCRIPTS.intersection(scripts):
        notes.append(
            "The input has right-to-left text: it is shown in its own direction, and edit "
            "offsets count characters in reading order"
        )
    return notes


def guess_language(texts: list[str]) -> str:
    """A language code for "auto": from the dominant non-Latin script, else en or vi."""
    joined = " ".join(texts)
    scripts = [s for s in scripts_in(joined) if s != "Latin"]
    if {"Hiragana", "Katakana"} & set(scripts):
        return "ja"  # Japanese mixes kanji (Han) with kana; Chinese has no kana
    for script in scripts:
        if script in SCRIPT_LANGUAGE:
            return SCRIPT_LANGUAGE[script]
    if scripts:
        return "und"
    return "vi" if _VIETNAMESE.search(joined) else "en"


def check_language(value: object, texts: list[str]) -> str:
    if value in (None, "", "auto"):
        return guess_language(texts)
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        raise InputError(f"language {shown(value)} is not a language code such as 'en' or 'auto'")
    return value


def check_strength(value: object, name: str = "strength") -> float:
    """A share of units in [0, 1]; `name` is the field the message names."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InputError(f"{name} must be a number between 0 and 1, got {shown(value)}")
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{name} must be between 0 and 1, got {shown(value)}")
    return float(value)


def check_seed(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise InputError(
            f"seed must be a whole number between 0 and {MAX_SEED}, got {shown(value)}"
        )
    return value


def check_model_names(keys: object, max_models: int) -> list[str]:
    """The model names a request lists, each once and in order: one name or a list of them, at
    least one and at most `max_models` (whether each is loaded is the caller's check)."""
    if isinstance(keys, str):
        keys = [keys]
    if not keys:
        raise InputError("no model selected: tick at least one model to compare")
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) for k in keys):
        raise InputError(f"models must be a list of model names, got {shown(keys)}")
    if len(keys) > max_models:
        raise InputError(f"{len(keys)} models selected; at most {max_models}")
    return list(dict.fromkeys(keys))


def check_task_name(value: object) -> str:
    """A task or condition name as params spell them (lower-case letters, digits, '_', and '+'
    for an RS-DA condition): anything else, a path in particular, is refused before it reaches
    a file name."""
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise InputError(f"task must be a task name such as 'xnli', got {shown(value)}")
    return value


@dataclass(frozen=True)
class DemoInput:
    """A validated request: the example, the language the families assume, and notes."""

    task: str
    example: Example
    language: str
    notes: tuple[str, ...]
    guessed: bool = False  # the language was "auto": guessed from the script

    @property
    def language_text(self) -> str:
        how = " (guessed from the script)" if self.guessed else ""
        return f"language '{self.language}'{how}"


def make_input(task: str, fields: dict[str, object], language: object, limits: Limits) -> DemoInput:
    """Validate the fields of `task`'s kind and build its typed example."""
    spec = get_task(check_task_name(task))
    if spec.kind == "span":
        raise InputError(
            f"{task} is a question-answering task: type its context and question in the "
            "Question answering tab (API: /answer)"
        )
    if spec.kind not in FIELDS:
        raise InputError(
            f"{task} is a {spec.kind} task: type its sentence in the Tagging tab (API: /tag)"
        )
    texts: dict[str, str] = {}
    for name, label in FIELDS[spec.kind]:
        texts[name] = clean_field(label, fields.get(name), limits.max_chars, name != "question")
    notes = notes_for(list(texts.values()))
    if spec.kind == "choice" and task == "xcopa" and texts["question"] not in ("cause", "effect"):
        raise InputError(
            f"Question must be 'cause' or 'effect' for {task}, got {shown(texts['question'])}"
        )
    lang = check_language(language, list(texts.values()))
    if spec.kind == "pair":
        example: Example = PairExample("demo", lang, texts["text_a"], texts["text_b"], 0)
    elif spec.kind == "single":
        example = TextExample("demo", lang, texts["text"], 0)
    else:
        choices = (texts["choice1"], texts["choice2"])
        example = ChoiceExample("demo", lang, texts["premise"], texts["question"], choices, 0)
    guessed = language in (None, "", "auto")
    return DemoInput(task, example, lang, tuple(notes), guessed)


CONTEXT, QUESTION = "Context", "Question"


def make_span_input(
    task: str, context: object, question: object, language: object, limits: Limits
) -> DemoInput:
    """Validate a context and a question for a question-answering task. The user gives no
    gold answer: the example has none, so a perturbation may edit any part of the context."""
    spec = get_task(check_task_name(task))
    if spec.kind != "span":
        raise InputError(f"{task} is a {spec.kind} task, not a question-answering task")
    texts = [
        clean_field(CONTEXT, context, limits.max_chars),
        clean_field(QUESTION, question, limits.max_chars),
    ]
    lang = check_language(language, texts)
    example = SpanExample("demo", lang, texts[0], texts[1], (), ())
    return DemoInput(task, example, lang, tuple(notes_for(texts)), language in (None, "", "auto"))


SENTENCE = "Sentence"
# Scripts written without spaces between words: a long run of them is likely several words the
# user did not separate, which the models would read, and tag, as one.
UNSPACED_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar"})
UNSPACED_RUN = 5  # letters in one such "word" before the note


def make_tagged_input(task: str, sentence: object, language: object, limits: Limits) -> DemoInput:
    """Validate a sentence for a tagging task and split it into words at whitespace.

    A tagging model tags the words it is given (the datasets come pre-split), so the user's
    spaces are the segmentation. The example's tags are placeholders (all 0): the user gives
    none, and nothing downstream reads them as gold."""
    spec = get_task(check_task_name(task))
    if spec.kind != "tagging":
        raise InputError(f"{task} is a {spec.kind} task, not a tagging task: use the other tabs")
    text = clean_field(SENTENCE, sentence, limits.max_chars, required=False)
    words = tuple(text.split())
    if not words:
        raise InputError(f"{SENTENCE} has no words: type a sentence, its words separated by spaces")
    notes = notes_for([text]) + unspaced_notes(words)
    lang = check_language(language, [text])
    example = TaggedExample("demo", lang, words, (0,) * len(words))
    return DemoInput(task, example, lang, tuple(notes), language in (None, "", "auto"))


def unspaced_notes(words: tuple[str, ...]) -> list[str]:
    """A note when a "word" is a long run of an unspaced script (Chinese, Japanese, Thai):
    the models would tag it as one word."""
    long = [w for w in words if _unspaced_letters(w) >= UNSPACED_RUN]
    if not long:
        return []
    return [
        f"{len(long)} word(s) are runs of {UNSPACED_RUN} or more letters of a script written "
        "without spaces; each is tagged as one word: put a space between the words"
    ]


def _unspaced_letters(word: str) -> int:
    letters = [c for c in word if _LETTER.match(c)]
    if not letters or any(char_script(c) not in UNSPACED_SCRIPTS for c in letters):
        return 0
    return len(letters)
