"""Token-classification tasks of the sample world, shaped like XTREME's UD-POS and PAN-X.

Both tag the world's own sentences: the words of a row are exactly the words ``render`` joins
(``grammar.tagged_words``), so a tagger meets the same text the other tasks and the corpora
show. For an unspaced language (zh) the words are the pieces before they are glued together;
a definite prefix glued to its noun or adjective (ar ال) is part of that one word. Vietnamese
content words may hold a space, as multi-syllable words do in Vietnamese treebanks.

UD-POS tags (the 17 universal tags, in the order of google/xtreme's udpos configs) follow the
role a word plays in the grammar: names PROPN; nouns, places and classifiers (zh 个) NOUN;
verbs VERB; adjectives and states ADJ; numerals NUM; the English article DET; prepositions,
postpositions and case markers ADP (hi को marks the object the way a postposition marks the
place, so it is ADP rather than PART); negation and question particles PART; "and" and "so"
(which join two main clauses) CCONJ; "because" and "that" SCONJ; "what", "who" and "it" PRON;
"where" ADV; do/does/is/are and hi है AUX; zh 很 (the degree adverb before a state) ADV;
punctuation PUNCT. A multi-word function phrase is split into words tagged one by one
("is it true that": AUX PRON ADJ SCONJ in every language, vi "ở đâu" = ADP PRON); the table is
``grammar._FUNCTION_TAGS`` and ``grammar._WORD_TAGS``. The UD training sentences mix
statements, negations, numbers, states, cause/effect pairs and every question kind, so that
word order and function words vary.

PAN-X tags use WikiANN's seven labels, but the sample world has one entity type only: person
names (PER). Names are single words, so there is B-PER and never I-PER. The world's places
(park, market, ...) are common nouns, not named locations, and it has no organisations, so no
word is LOC or ORG. PAN-X sentences favour names (a name acting on a name, two names joined by
"and") and a share has none (who-questions about things, bare noun phrases).

Both tasks have English train and validation sets and a test set per language rendered from
the same utterances (parallel across languages); validation and test never repeat a training
sentence (English surface), and each split's random stream is seeded from the world seed and
the task name.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from xstilts.tagsets import UPOS, WIKIANN_NER

from .corpus import random_utterance
from .frames import THING_KINDS, FrameSampler
from .grammar import Utterance, Word, render, tagged_words
from .vocabulary import Vocabulary, is_name
from .world_config import SampleWorldConfig

NER_TAGS = WIKIANN_NER
Row = dict[str, object]


@dataclass(frozen=True)
class TaggingTask:
    """A tagging task: how to draw one utterance, and its hub row for a tagged sentence."""

    name: str
    sample: Callable[[FrameSampler], Utterance]
    row: Callable[[list[Word], str], Row]


def pos_row(words: list[Word], lang: str) -> Row:
    """A UD-POS row: the words and the index of each one's universal tag."""
    _check(words)
    return {"tokens": [w.text for w in words], "pos_tags": [UPOS.index(w.tag) for w in words]}


def ner_row(words: list[Word], lang: str) -> Row:
    """A PAN-X row: the words, a B-PER/O tag each and the language once per word."""
    _check(words)
    tags = [NER_TAGS.index(ner_tag(w)) for w in words]
    return {"tokens": [w.text for w in words], "ner_tags": tags, "langs": [lang] * len(words)}


def ner_tag(word: Word) -> str:
    """Person names are the world's only named entities, and each is a single word."""
    if word.tag == "PROPN":
        if not is_name(word.text):
            raise ValueError(f"proper noun {word.text!r} is not a person name")
        return "B-PER"
    return "O"


def _check(words: list[Word]) -> None:
    """Every word is non-empty and carries exactly one known tag."""
    for word in words:
        if not word.text or word.tag not in UPOS:
            raise ValueError(f"bad tagged word {word!r}")


_PANX_SHAPES = (("people", 3), ("pair", 2), ("any", 3), ("who", 1), ("np", 1))


def panx_utterance(s: FrameSampler) -> Utterance:
    """A sentence rich in names, or (about one in five) one without any."""
    rng = s.rng
    shape = rng.choices([k for k, _ in _PANX_SHAPES], weights=[w for _, w in _PANX_SHAPES])[0]
    if shape == "people":  # a name acting on a name, sometimes two subjects
        kind = rng.choice(("stmt", "stmt", "stmt", "yn", "tq"))
        p_neg = 0.3 if kind == "stmt" else 0.0
        return Utterance(kind, s.frame("person", p_loc=0.4, p_neg=p_neg, p_coord=0.4))
    if shape == "pair":  # two names joined by "and"
        return Utterance("stmt", s.frame(p_coord=1.0, p_neg=0.2))
    if shape == "who":  # no name: the subject is asked for and the object is a thing
        return Utterance("who", s.frame(rng.choice((*THING_KINDS, "place"))))
    if shape == "np":  # a bare noun phrase, as WikiANN's title-like rows
        return Utterance("np", s.frame(p_adj=0.6, p_num=0.4))
    return random_utterance(s)


TAGGING_TASKS: dict[str, TaggingTask] = {
    "udpos": TaggingTask("udpos", random_utterance, pos_row),
    "panx": TaggingTask("panx", panx_utterance, ner_row),
}


def build_sentences(
    task: TaggingTask, size: int, purpose: str, seen: set[str], english: Vocabulary
) -> list[Utterance]:
    """``size`` utterances whose English surface is new (``seen`` is updated)."""
    sampler = FrameSampler(random.Random(purpose))
    out: list[Utterance] = []
    for _ in range(1000 + 200 * size):
        if len(out) == size:
            break
        utt = task.sample(sampler)
        text = render(utt, english)
        if text not in seen:
            seen.add(text)
            out.append(utt)
    if len(out) < size:
        raise RuntimeError(f"could not build {size} distinct sentences for {purpose}")
    return out


def tagging_files(
    config: SampleWorldConfig, lexicons: dict[str, Vocabulary]
) -> dict[str, list[str]]:
    """Lines of every tagging file, by path under the world root: English train and
    validation, and one parallel test file per language."""
    english = lexicons["en"]
    files: dict[str, list[str]] = {}
    for name, task in TAGGING_TASKS.items():
        seen: set[str] = set()  # shared so dev/test never repeat a training sentence
        sizes = {"train": getattr(config, f"{name}_train"), "dev": config.dev_size}
        sizes["test"] = config.test_size
        splits = {
            which: build_sentences(task, size, f"{config.seed}:task:{name}:{which}", seen, english)
            for which, size in sizes.items()
        }
        files[f"tasks/{name}/en/train.jsonl"] = _lines(task, splits["train"], english)
        files[f"tasks/{name}/en/validation.jsonl"] = _lines(task, splits["dev"], english)
        for lang, lexicon in lexicons.items():
            files[f"tasks/{name}/{lang}/test.jsonl"] = _lines(task, splits["test"], lexicon)
    return files


def _lines(task: TaggingTask, utterances: list[Utterance], lexicon: Vocabulary) -> list[str]:
    lang = lexicon.language.code
    rows = [task.row(tagged_words(utt, lexicon), lang) for utt in utterances]
    return [json.dumps(row, ensure_ascii=False) for row in rows]
