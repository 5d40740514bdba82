"""Rows shaped like each pinned hub dataset's: the field names, types and label encodings of the
dataset cards. The hub-loader tests read the two template rows per dataset; the rehearsal's
stand-in hub serves as many rows as it needs, built from the same templates.

Keys are a dataset path, or `path:config` where one repository holds several datasets (GLUE).
A repository whose configs all share one schema (XNLI's languages, WikiANN's, google/xtreme's
UD-POS treebanks) is keyed by its path alone.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from xstilts.perturb.alphabets import alphabet, language_script
from xstilts.retrieval.sets import XTREME_R_TATOEBA
from xstilts.retrieval.sources import TATOEBA_CODES

NLI = {"premise": "A man sleeps.", "hypothesis": "Nobody sleeps.", "label": 2}
COPA = {
    "premise": "It rained.",
    "choice1": "The street was dry.",
    "choice2": "The street was wet.",
    "question": "effect",
    "idx": 5,
    "label": 1,
}
TYDIQA_NAMES = (
    "english", "arabic", "bengali", "finnish", "indonesian", "korean", "russian", "swahili",
    "telugu",
)  # fmt: skip
SPAN_ROWS = [
    {
        "id": "5733be284776f41900661182",
        "context": "Tom has a cat. The cat is black and sleeps all day.",
        "question": "What does Tom have?",
        "answers": {"text": ["a cat"], "answer_start": [8]},
    },
    {
        "id": "5733be284776f41900661183",
        "context": "The river flows to the sea. Boats carry salt down the river.",
        "question": "What do boats carry?",
        "answers": {"text": ["salt", "salt"], "answer_start": [40, 40]},
    },
]
# dataset path -> two rows (different labels and ids) with that dataset's exact schema
HUB_ROWS: dict[str, list[dict[str, Any]]] = {
    "nyu-mll/glue:mnli": [{**NLI, "idx": 0}, {**NLI, "label": 0, "idx": 1}],
    "nyu-mll/glue:qqp": [
        {"question1": "How old?", "question2": "What age?", "label": 1, "idx": 0},
        {"question1": "Why?", "question2": "When?", "label": 0, "idx": 1},
    ],
    "nyu-mll/glue:sst2": [
        {"sentence": "a gripping film", "label": 1, "idx": 0},
        {"sentence": "dull and long", "label": 0, "idx": 1},
    ],
    "stanfordnlp/snli": [NLI, {**NLI, "label": 1}, {**NLI, "label": -1}],
    "facebook/anli": [
        {"uid": "a1", **NLI, "reason": ""},
        {"uid": "a2", **NLI, "label": 0, "reason": "because"},
    ],
    "ehovy/race": [
        {
            "example_id": "high1.txt",
            "article": "Tom has a cat.",
            "question": "What does Tom have?",
            "options": ["a dog", "a cat", "a cow", "a fox"],
            "answer": "B",
        },
        {
            "example_id": "high1.txt",  # several questions share an article id
            "article": "Tom has a cat.",
            "question": "Tom has _ .",
            "options": ["a dog", "a cat", "a cow", "a fox"],
            "answer": "A",
        },
    ],
    "Rowan/hellaswag": [
        {
            "ind": 4,
            "activity_label": "Removing ice from car",
            "ctx_a": "Then, the man writes over the snow covering the window of a car.",
            "ctx_b": "then",
            "ctx": "Then, the man writes over the snow covering the window of a car. then",
            "endings": [", the man adds wax.", ", a woman drives.", "he stops.", "he waves."],
            "source_id": "activitynet~v_-1IBHYS3L-Y",
            "split": "train",
            "split_type": "indomain",
            "label": "3",
        },
        {
            "ind": 5,
            "activity_label": "Making a cake",
            "ctx_a": "[header] How to make a cake [title] Preheat the oven.",
            "ctx_b": "",
            "ctx": "[header] How to make a cake [title] Preheat the oven.",
            "endings": ["Mix flour.", "Sing.", "Dance.", "Sleep."],
            "source_id": "wikihow~1",
            "split": "train",
            "split_type": "indomain",
            "label": "0",
        },
    ],
    "allenai/cosmos_qa": [
        {
            "id": f"c{i}",
            "context": "I missed the bus this morning.",
            "question": "What happened next?",
            "answer0": "I walked.",
            "answer1": "I flew.",
            "answer2": "I swam.",
            "answer3": "None of the above choices.",
            "label": i,
        }
        for i in range(2)
    ],
    "tau/commonsense_qa": [
        {
            "id": f"q{i}",
            "question": "Where do you keep milk?",
            "question_concept": "milk",
            "choices": {
                "label": ["A", "B", "C", "D", "E"],
                "text": ["fridge", "oven", "car", "shoe", "sky"],
            },
            "answerKey": "AB"[i],
        }
        for i in range(2)
    ],
    "allenai/social_i_qa": [
        {
            "context": "Kai gave Sam a gift.",
            "question": "How would Sam feel?",
            "answerA": "happy",
            "answerB": "angry",
            "answerC": "bored",
            "label": label,
        }
        for label in ("1", "3")
    ],
    "aps/super_glue:copa": [COPA, {**COPA, "idx": 6, "label": 0, "question": "cause"}],
    "facebook/xnli": [
        {"premise": "Il dort.", "hypothesis": "Il dort bien.", "label": 1},
        {"premise": "Il dort.", "hypothesis": "Il ne dort pas.", "label": 2},
    ],
    "google-research-datasets/paws-x": [
        {"id": 1, "sentence1": "A B", "sentence2": "B A", "label": 0},
        {"id": 2, "sentence1": "A B C", "sentence2": "A B C", "label": 1},
    ],
    "cambridgeltl/xcopa": [{**COPA, "changed": False}, {**COPA, "idx": 6, "changed": True}],
    # google/xtreme's `udpos.<Language>` configs (the only ones a task reads): words and UPOS
    # tags; no id field, so ids are row indices
    "google/xtreme": [
        {"tokens": ["The", "cat", "sleeps", "on", "it", "."], "pos_tags": [5, 7, 15, 1, 10, 12]},
        {"tokens": ["Tom", "has", "two", "red", "dogs", "."], "pos_tags": [11, 15, 8, 0, 7, 12]},
    ],
    # unimelb-nlp/wikiann, every language's config: `langs` names the config's language once
    # per token, `spans` lists each entity as "TYPE: its words" (see `entity_spans`)
    "unimelb-nlp/wikiann": [
        {
            "tokens": ["Tom", "Smith", "lives", "in", "Paris", "."],
            "ner_tags": [1, 2, 0, 0, 5, 0],
            "langs": ["en"] * 6,
            "spans": ["PER: Tom Smith", "LOC: Paris"],
        },
        {
            "tokens": ["The", "United", "Nations", "met", "in", "New", "York"],
            "ner_tags": [0, 3, 4, 0, 0, 5, 6],
            "langs": ["en"] * 7,
            "spans": ["ORG: United Nations", "LOC: New York"],
        },
    ],
    # span QA: SQuAD-format rows, `answers` a struct of lists; `id` numbered per served row
    # (TyDiQA's keeps its language prefix, `english-...`); validation rows of SQuAD carry
    # several gold answers
    "rajpurkar/squad": [
        {**SPAN_ROWS[0], "title": "Cats"},
        {**SPAN_ROWS[1], "title": "Rivers"},
    ],
    "google/xquad": SPAN_ROWS,
    "google/xtreme:MLQA": [{**row, "title": "Cats"} for row in SPAN_ROWS],
    # one table for every language, a row's language the prefix of its id
    "google-research-datasets/tydiqa": [
        {**row, "id": f"{name}-{row['id']}", "title": "Cats"}
        for name in TYDIQA_NAMES
        for row in SPAN_ROWS
    ],
    # the masked-LM corpus of a condition that lists `mlm` (`data.mlm_corpus`): one article per
    # row, paragraphs and section headings on their own lines, as the 20231101 dump's `text`
    "wikimedia/wikipedia": [
        {
            "id": "12",
            "url": "https://en.wikipedia.org/wiki?curid=12",
            "title": "River",
            "text": "A river is a natural stream of fresh water that flows across the land "
            "towards an ocean, a sea, a lake or another river.\n\nCourse\n\nMost rivers "
            "begin as small springs high in the hills and grow wider as smaller streams join "
            "them on the long way down.\nSome rivers dry up in the summer months and fill "
            "again with rain in the autumn.",
        },
        {
            "id": "25",
            "url": "https://en.wikipedia.org/wiki?curid=25",
            "title": "Bread",
            "text": "Bread is a staple food made from a dough of flour and water that people "
            "have baked in ovens for many thousands of years.\n\nHistory\n\nThe oldest "
            "known loaves were found in a stone oven that is about fourteen thousand years "
            "old.",
        },
    ],
}
NLI_NAMES = ["entailment", "neutral", "contradiction"]
# the UPOS tags as google/xtreme's udpos configs declare them (pos_tags: a sequence of ClassLabel)
UPOS_NAMES = [
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
    "PUNCT", "SCONJ", "SYM", "VERB", "X",
]  # fmt: skip
# unimelb-nlp/wikiann's ner_tags (a sequence of ClassLabel)
WIKIANN_NAMES = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
# dataset -> the ClassLabel names its card declares for its integer label column: `label`, or a
# tag column whose feature is a sequence of ClassLabel (which column: the task spec's
# `label_field`, so the writers read it from the specs, `repos.card_label_fields`)
CARD_LABEL_NAMES: dict[str, list[str]] = {
    "nyu-mll/glue:mnli": NLI_NAMES,
    "nyu-mll/glue:qqp": ["not_duplicate", "duplicate"],
    "nyu-mll/glue:sst2": ["negative", "positive"],
    "stanfordnlp/snli": NLI_NAMES,
    "facebook/anli": NLI_NAMES,
    "facebook/xnli": NLI_NAMES,
    "google-research-datasets/paws-x": ["0", "1"],
    "aps/super_glue:copa": ["choice1", "choice2"],
    "google/xtreme": UPOS_NAMES,
    "unimelb-nlp/wikiann": WIKIANN_NAMES,
}


# dataset -> (label field, the values it takes): what a served row's label cycles through; a
# tag field (a list, one tag per word) cycles through them word after word over a whole split
LABEL_VALUES: dict[str, tuple[str, tuple[Any, ...]]] = {
    "nyu-mll/glue:mnli": ("label", (0, 1, 2)),
    "nyu-mll/glue:qqp": ("label", (0, 1)),
    "nyu-mll/glue:sst2": ("label", (0, 1)),
    "stanfordnlp/snli": ("label", (0, 1, 2, 0, 1, 2, -1)),  # -1: SNLI's "no gold label"
    "facebook/anli": ("label", (0, 1, 2)),
    "ehovy/race": ("answer", ("A", "B", "C", "D")),
    "Rowan/hellaswag": ("label", ("0", "1", "2", "3")),
    "allenai/cosmos_qa": ("label", (0, 1, 2, 3)),
    "tau/commonsense_qa": ("answerKey", ("A", "B", "C", "D", "E")),
    "allenai/social_i_qa": ("label", ("1", "2", "3")),
    "aps/super_glue:copa": ("label", (0, 1)),
    "facebook/xnli": ("label", (0, 1, 2)),
    "google-research-datasets/paws-x": ("label", (0, 1)),
    "cambridgeltl/xcopa": ("label", (0, 1)),
    "google/xtreme": ("pos_tags", tuple(range(len(UPOS_NAMES)))),
    "unimelb-nlp/wikiann": ("ner_tags", tuple(range(len(WIKIANN_NAMES)))),
}
# fields that identify a row: numbered per served row so that ids stay unique
ID_FIELDS = ("idx", "id", "uid", "ind")


def source_key(path: str, name: str | None) -> str:
    """The HUB_ROWS key of a dataset (and config, or config family: google/xtreme's
    `MLQA.<lang>.<lang>` configs share `google/xtreme:MLQA`)."""
    for key in (f"{path}:{name}", f"{path}:{(name or '').split('.')[0]}"):
        if key in HUB_ROWS:
            return key
    return path


# the text fields of the target tasks' test sets, which are in each test language: a text, or
# a list of words (a tagging task's tokens: each word localized on its own, so the tags still
# line up)
LOCALIZED_FIELDS = {
    "facebook/xnli": ("premise", "hypothesis"),
    "google-research-datasets/paws-x": ("sentence1", "sentence2"),
    "cambridgeltl/xcopa": ("premise", "choice1", "choice2"),
    "google/xtreme": ("tokens",),
    "unimelb-nlp/wikiann": ("tokens",),
    "google/xquad": ("context", "question"),
    "google/xtreme:MLQA": ("context", "question"),
    "google-research-datasets/tydiqa": ("context", "question"),
    "wikimedia/wikipedia": ("text",),
}
# WikiANN's derived columns, kept true to a served row's tokens and tags: the language once per
# token, and the entity spans
LANGUAGE_LISTS = {"unimelb-nlp/wikiann": "langs"}
ENTITY_SPANS = {"unimelb-nlp/wikiann": "spans"}
UNSPACED_SCRIPTS = {"Han", "Hiragana", "Katakana", "Thai"}  # written without spaces


def pseudo_word(word: str, language: str) -> str:
    """A stand-in translation of an English word: a word of `language`'s own letters (so
    script-aware perturbations and the report's script detection see that language's script),
    the same every time, and listed in the stand-in's MUSE dictionary for the language."""
    script = language_script(language) or "Latin"
    letters = alphabet(language, script) or alphabet("en", "Latin")
    rng = random.Random(f"{language}:{word.lower()}")
    size = rng.randint(1, 2) if script in UNSPACED_SCRIPTS else max(2, min(len(word), 7))
    return "".join(rng.choice(letters) for _ in range(size))


def localize(text: str, language: str) -> str:
    """`text` with every word replaced by its `pseudo_word`, punctuation and line breaks
    kept."""
    script = language_script(language) or "Latin"
    lines = []
    for line in text.split("\n"):
        words = []
        for token in line.split():
            core = token.strip(".,?!")
            words.append(token.replace(core, pseudo_word(core, language)) if core else token)
        lines.append(("" if script in UNSPACED_SCRIPTS else " ").join(words))
    return "\n".join(lines)


def localize_field(value: str | list[str], language: str) -> str | list[str]:
    """A localized field's value in `language`: a text, or a list of words word by word
    (punctuation tokens kept), so that a tag list still has one tag per word."""
    if isinstance(value, list):
        return [localize(word, language) for word in value]
    return localize(value, language)


def english_words(text: str | list[str]) -> list[str]:
    """The words `localize` (or `localize_field`) replaces."""
    if isinstance(text, list):
        text = " ".join(text)
    return [core for token in text.split() if (core := token.strip(".,?!"))]


def localized_answers(answers: dict[str, list], context: str, language: str) -> dict[str, list]:
    """A span row's answers in `language`: each text localized as its context was, at the
    offset where it now occurs (localizing is word by word, so it does occur)."""
    texts = [localize(text, language) for text in answers["text"]]
    starts = [context.find(text) for text in texts]
    assert min(starts) >= 0, (texts, context)
    return {"text": texts, "answer_start": starts}


def entity_spans(tokens: list[str], tags: list[int], names: list[str]) -> list[str]:
    """WikiANN's `spans` column: each entity of the BIO tags as "TYPE: its words" (joined by
    spaces). An I- tag that continues no entity of its type starts one, as seqeval reads it."""
    spans: list[tuple[str, list[str]]] = []
    previous = "O"
    for token, tag in zip(tokens, tags, strict=True):
        name = names[tag]
        if name == "O":
            previous = name
            continue
        kind = name[2:]
        if name.startswith("I-") and previous != "O" and previous[2:] == kind:
            spans[-1][1].append(token)
        else:
            spans.append((kind, [token]))
        previous = name
    return [f"{kind}: {' '.join(words)}" for kind, words in spans]


def served_rows(
    key: str, count: int, language: str = "en", question_language: str | None = None
) -> list[dict[str, Any]]:
    """`count` rows of dataset `key`: its templates in turn, ids numbered, labels cycling
    through every value the dataset uses (so every class is present in a split), and a target
    task's texts in `language`'s script.

    A tag list gets the values in turn, word after word across the split, so every tag is
    present once the split has as many words as there are tags (the template's own tags are
    not kept: nothing learns them at the stand-in's sizes, while a tag missing from a split
    would leave a class unseen). Tagging datasets have no id field: their ids are row indices.
    """
    templates = HUB_ROWS[key]
    field, values = LABEL_VALUES.get(key, ("", ()))  # a corpus has no label
    rows = []
    next_tag = 0  # position in `values` of a tag list's next word
    for index in range(count):
        row = copy.deepcopy(templates[index % len(templates)])
        if field and isinstance(row[field], list):
            size = len(row[field])
            row[field] = [values[(next_tag + i) % len(values)] for i in range(size)]
            next_tag += size
        elif field:
            row[field] = values[index % len(values)]
        for name in ID_FIELDS:
            if name in row:
                row[name] = index if isinstance(row[name], int) else f"{name}{index}"
        for name in LOCALIZED_FIELDS.get(key, ()):
            in_language = (
                question_language if name == "question" and question_language else language
            )
            if in_language != "en":
                row[name] = localize_field(row[name], in_language)
        if language != "en" and "answers" in row and "context" in LOCALIZED_FIELDS.get(key, ()):
            row["answers"] = localized_answers(row["answers"], row["context"], language)
        if key in LANGUAGE_LISTS:
            row[LANGUAGE_LISTS[key]] = [language] * len(row["tokens"])
        if key in ENTITY_SPANS:
            row[ENTITY_SPANS[key]] = entity_spans(row["tokens"], row[field], CARD_LABEL_NAMES[key])
        rows.append(row)
    return rows


# words of the stand-in Tatoeba pairs' English sides
TATOEBA_WORDS = ("the", "cat", "sees", "a", "red", "boat", "near", "old", "house", "today")


def tatoeba_rows(count: int) -> list[dict[str, Any]]:
    """`count` pairs for every XTREME-R Tatoeba language in mteb/tatoeba-bitext-mining's
    schema: `sentence1` the language's sentence (the English one localized), `sentence2` a
    distinct English sentence, `lang` Tatoeba's pair (`vie-eng`), each sentence ending in the
    line break LASER's files keep."""
    rows = []
    for language in XTREME_R_TATOEBA:
        for index in range(count):
            english = (
                " ".join(
                    TATOEBA_WORDS[(index * 3 + step * (index + 1)) % len(TATOEBA_WORDS)]
                    for step in range(4)
                )
                + f" {index}."
            )
            rows.append(
                {
                    "sentence1": localize(english, language) + "\n",
                    "sentence2": english + "\n",
                    "lang": f"{TATOEBA_CODES[language]}-eng",
                }
            )
    return rows
