"""Extractive QA of the sample world, shaped like SQuAD v1.1, XQuAD and TyDiQA-GoldP.

An item is a short article of world facts (3-4 statements about distinct people, things and
places) and a question about one of them whose answer is a phrase of that statement: who did it
(a name), what they did it to (the object, with its number and adjective) or where (the place
phrase, with its preposition or postposition). The answer is the very chunk the grammar wrote
into the sentence (`grammar.tagged_words` of an np/name/locp utterance), so it occurs in the
context in every language, and its character offset is that sentence's offset plus the chunk's
offset inside it. Names are unique within an article, and so are things and places, so the
question always singles out one sentence; a reader has to match the question against it (the
other sentences are the distractors).

Files (the hub's row schemas):
- `tasks/squad/{train,validation}.jsonl`: SQuAD-shaped English training and dev data (`id`,
  `title`, `context`, `question`, `answers: {text, answer_start}`), the intermediate task and
  the English training data of the XQuAD-shaped target.
- `tasks/xquad/<lang>/test.jsonl`: XQuAD-shaped, one item set rendered in every language (ids
  shared, as XQuAD's translations of SQuAD's dev questions).
- `tasks/tydiqa/en/{train,validation}.jsonl` and `tasks/tydiqa/<lang>/test.jsonl` for the
  sample languages TyDiQA-GoldP has (en ar ru): its own items, ids prefixed with the language
  name as on the hub (`english-...`); the test sets are parallel here, TyDiQA's are not.
MLQA has no sample set: its official normalisation has no rule for Russian, a sample language.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from .frames import THING_KINDS, FrameSampler
from .grammar import Frame, Utterance, render
from .vocabulary import CONCEPTS, NAMES, PLACES, Vocabulary, nouns_of
from .world_config import SampleWorldConfig

ANSWER_KINDS = {"who": "name", "what": "np", "where": "locp"}
TYDIQA_LANGUAGES = {"en": "english", "ar": "arabic", "ru": "russian"}
ADJECTIVES = ("red", "big", "small", "old", "new", "blue")


@dataclass(frozen=True)
class QAItem:
    """An article (statements), the index of the statement asked about and the question."""

    article: tuple[Frame, ...]
    target: int
    kind: str  # who | what | where

    def question(self) -> Utterance:
        return Utterance(self.kind, self.article[self.target])

    def answer(self) -> Utterance:
        return Utterance(ANSWER_KINDS[self.kind], self.article[self.target])


def make_item(s: FrameSampler) -> QAItem:
    rng = s.rng
    n = rng.choice((3, 4))
    things = rng.sample([t for kind in THING_KINDS for t in nouns_of(kind)], n)
    frames = []
    for name, obj, place in zip(rng.sample(NAMES, n), things, rng.sample(PLACES, n), strict=True):
        verb = s.verb_for(CONCEPTS[obj].kinds[0])
        adj = rng.choice((None, None, *ADJECTIVES))
        num = rng.choice((None, None, 2, 3, 4, 5))
        alt = rng.randrange(len(CONCEPTS[verb].forms))
        frames.append(Frame(name, verb, obj, adj, num, place, verb_alt=alt))
    return QAItem(tuple(frames), rng.randrange(n), rng.choice(tuple(ANSWER_KINDS)))


def squad_row(item: QAItem, lexicon: Vocabulary, example_id: str) -> dict[str, object]:
    """The item in one language as a SQuAD row: the answer's text and character offset."""
    sep = " " if lexicon.language.spaced else ""
    sentences = [render(Utterance("stmt", f), lexicon) for f in item.article]
    answer = render(item.answer(), lexicon)
    inside = sentences[item.target].find(answer)
    if inside < 0:
        raise RuntimeError(f"answer {answer!r} not in its sentence {sentences[item.target]!r}")
    start = sum(len(s) + len(sep) for s in sentences[: item.target]) + inside
    context = sep.join(sentences)
    assert context[start : start + len(answer)] == answer
    return {
        "id": example_id,
        "title": "world",
        "context": context,
        "question": render(item.question(), lexicon),
        "answers": {"text": [answer], "answer_start": [start]},
    }


def build_items(size: int, purpose: str, seen: set[str], english: Vocabulary) -> list[QAItem]:
    """`size` items whose English question and article are new (`seen` is updated)."""
    sampler = FrameSampler(random.Random(purpose))
    items: list[QAItem] = []
    for _ in range(1000 + 200 * size):
        if len(items) == size:
            break
        item = make_item(sampler)
        row = squad_row(item, english, "")
        key = f"{row['context']}|{row['question']}"
        if key not in seen:
            seen.add(key)
            items.append(item)
    if len(items) < size:
        raise RuntimeError(f"could not build {size} distinct QA items for {purpose}")
    return items


def qa_files(config: SampleWorldConfig, lexicons: dict[str, Vocabulary]) -> dict[str, list[str]]:
    """Lines of every QA file, by path under the world root."""
    english = lexicons["en"]
    files: dict[str, list[str]] = {}
    seen: set[str] = set()
    stream = f"{config.seed}:task:squad"
    squad = {
        "train": build_items(config.squad_train, f"{stream}:train", seen, english),
        "validation": build_items(config.dev_size, f"{stream}:dev", seen, english),
        "test": build_items(config.test_size, f"{stream}:test", seen, english),
    }
    for split in ("train", "validation"):
        files[f"tasks/squad/{split}.jsonl"] = _lines(squad[split], english, f"squad-{split}")
    for lang, lexicon in lexicons.items():
        rows = [_xquad(r) for r in _rows(squad["test"], lexicon, "xquad-test")]
        files[f"tasks/xquad/{lang}/test.jsonl"] = _dump(rows)
    stream = f"{config.seed}:task:tydiqa"
    tydiqa = {
        "train": build_items(config.tydiqa_train, f"{stream}:train", seen, english),
        "validation": build_items(config.dev_size, f"{stream}:dev", seen, english),
        "test": build_items(config.test_size, f"{stream}:test", seen, english),
    }
    for split in ("train", "validation"):
        files[f"tasks/tydiqa/en/{split}.jsonl"] = _lines(
            tydiqa[split], english, f"english-tydiqa-{split}"
        )
    for lang, name in TYDIQA_LANGUAGES.items():
        if lang in lexicons:
            files[f"tasks/tydiqa/{lang}/test.jsonl"] = _lines(
                tydiqa["test"], lexicons[lang], f"{name}-tydiqa-test"
            )
    return files


def _rows(items: list[QAItem], lexicon: Vocabulary, prefix: str) -> list[dict[str, object]]:
    return [squad_row(item, lexicon, f"{prefix}-{i:05d}") for i, item in enumerate(items)]


def _lines(items: list[QAItem], lexicon: Vocabulary, prefix: str) -> list[str]:
    return _dump(_rows(items, lexicon, prefix))


def _xquad(row: dict[str, object]) -> dict[str, object]:
    """google/xquad's rows have no title."""
    return {k: v for k, v in row.items() if k != "title"}


def _dump(rows: list[dict[str, object]]) -> list[str]:
    return [json.dumps(row, ensure_ascii=False) for row in rows]
