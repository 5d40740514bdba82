"""Retrieval sets of the sample world: Tatoeba-shaped translation pairs and BUCC-shaped corpora.

Both hold sentences that occur in no pretraining corpus (`corpus/`, monolingual and parallel), so
retrieving a translation tests what an encoder learned to align, not a line it has seen; no
sentence occurs twice on one side. Sentences are clean (never code-switched), rendered from the
world's random utterances with their own random streams, so adding these sets leaves every other
file of the world unchanged.

- Tatoeba-shaped, `retrieval/tatoeba/test.jsonl`: `tatoeba_pairs` pairs per non-English language,
  in the rows of `mteb/tatoeba-bitext-mining` (`sentence1`: the language's sentence, `sentence2`:
  its English translation, `lang`: Tatoeba's ISO 639-3 pair, e.g. `vie-eng`).
- BUCC-shaped, `retrieval/bucc2018/<xx>-en/<xx>-en.<split>.{<xx>,en,gold}`: BUCC 2018's files and
  splits (`sample`, which XTREME uses as dev, and `training`, its test), one `ID<TAB>sentence` line
  a sentence and one `<xx ID><TAB><en ID>` line a gold pair. Each side is a corpus in which the
  gold pairs' sentences hide among `bucc_distractor_ratio` times as many sentences that have no
  translation on the other side (checked: no English distractor renders an utterance of the
  other side). IDs are `<lang>-<9 digits>` in a shuffled order, as in BUCC, so neither line order
  nor ID gives the gold pairs away.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from .corpus import random_utterance
from .frames import FrameSampler
from .grammar import Utterance, render
from .vocabulary import Vocabulary
from .world_config import SampleWorldConfig

# Tatoeba names a language by its ISO 639-3 code (Chinese: Mandarin, `cmn`)
TATOEBA_CODES = {"en": "eng", "vi": "vie", "ru": "rus", "ar": "ara", "hi": "hin", "zh": "cmn"}
BUCC_SPLITS = {"dev": "sample", "test": "training"}  # XTREME's name -> BUCC 2018's
MAX_DRAWS_PER_SENTENCE = 50


class _Fresh:
    """Draws utterances whose renderings are in no excluded set and not yet used."""

    def __init__(self, stream: str, excluded: set[str]) -> None:
        self.sampler = FrameSampler(random.Random(stream))
        self.excluded = excluded

    def utterances(self, count: int, *lexicons: Vocabulary) -> Iterator[tuple[str, ...]]:
        """`count` utterances, each rendered by every lexicon; every rendering becomes excluded."""
        drawn = 0
        for _ in range(count * MAX_DRAWS_PER_SENTENCE):
            if drawn == count:
                return
            utterance: Utterance = random_utterance(self.sampler)
            texts = tuple(render(utterance, lexicon) for lexicon in lexicons)
            if any(text in self.excluded for text in texts):
                continue
            self.excluded.update(texts)
            drawn += 1
            yield texts
        if drawn < count:
            raise ValueError(f"the sample world has too few distinct sentences for {count} more")


def retrieval_files(
    config: SampleWorldConfig, lexicons: dict[str, Vocabulary], corpus_lines: set[str]
) -> dict[str, list[str]]:
    """Relative path -> lines of every retrieval file; `corpus_lines`: the pretraining text
    (parallel lines as `english<TAB>translation`), none of whose sentences may occur here."""
    english = lexicons["en"]
    excluded = {part for line in corpus_lines for part in line.split("\t")}
    files: dict[str, list[str]] = {"retrieval/tatoeba/test.jsonl": []}
    for lang, lexicon in lexicons.items():
        if lang == "en":
            continue
        fresh = _Fresh(f"{config.seed}:retrieval:tatoeba:{lang}", excluded)
        pair = f"{TATOEBA_CODES[lang]}-{TATOEBA_CODES['en']}"
        for xx, en in fresh.utterances(config.tatoeba_pairs, lexicon, english):
            files["retrieval/tatoeba/test.jsonl"].append(_tatoeba_row(xx, en, pair))
        sizes = {"dev": config.bucc_dev_pairs, "test": config.bucc_test_pairs}
        for split, size in ((BUCC_SPLITS[name], size) for name, size in sizes.items()):
            stream = f"{config.seed}:retrieval:bucc:{lang}:{split}"
            files.update(_bucc_split(stream, lang, split, size, config, lexicon, english, excluded))
    return files


def _tatoeba_row(xx: str, en: str, pair: str) -> str:
    return json.dumps({"sentence1": xx, "sentence2": en, "lang": pair}, ensure_ascii=False)


def _bucc_split(
    stream: str,
    lang: str,
    split: str,
    pairs: int,
    config: SampleWorldConfig,
    lexicon: Vocabulary,
    english: Vocabulary,
    excluded: set[str],
) -> dict[str, list[str]]:
    """One split's three files: the two corpora (gold sentences among distractors) and the gold.

    Every distractor is drawn with its rendering in the other language, which is excluded too:
    two utterances that one language renders alike would otherwise make a distractor a second,
    unlisted translation."""
    fresh = _Fresh(stream, excluded)
    gold = list(fresh.utterances(pairs, lexicon, english))
    distractors = pairs * config.bucc_distractor_ratio
    source_only = [xx for xx, _ in fresh.utterances(distractors, lexicon, english)]
    target_only = [en for en, _ in fresh.utterances(distractors, english, lexicon)]
    rng = random.Random(f"{stream}:ids")
    source_ids = _ids(lang, len(gold) + len(source_only), rng)
    target_ids = _ids("en", len(gold) + len(target_only), rng)
    source = zip(source_ids, [xx for xx, _ in gold] + source_only, strict=True)
    target = zip(target_ids, [en for _, en in gold] + target_only, strict=True)
    prefix = f"retrieval/bucc2018/{lang}-en/{lang}-en.{split}"
    return {
        f"{prefix}.{lang}": [f"{i}\t{text}" for i, text in sorted(source)],
        f"{prefix}.en": [f"{i}\t{text}" for i, text in sorted(target)],
        f"{prefix}.gold": sorted(
            f"{a}\t{b}" for a, b in zip(source_ids[:pairs], target_ids[:pairs], strict=True)
        ),
    }


def _ids(lang: str, count: int, rng: random.Random) -> list[str]:
    """`count` BUCC IDs in random order, numbers drawn without replacement from ten times as
    many."""
    return [f"{lang}-{n:09d}" for n in rng.sample(range(1, 10 * count + 1), count)]
