"""Token classification: words aligned to first sub-tokens, long sentences split and joined
back, entity F1 equal to seqeval's, and a tiny model that learns to tag through the real
objective and prediction path."""

from __future__ import annotations

import random

import numpy as np
import pytest

from xstilts.config import ExecutionConfig, LoopConfig, SamplerConfig
from xstilts.examples import TaggedExample, example_from_dict, example_to_dict
from xstilts.modeling.encoding import collate, encode
from xstilts.modeling.model import load_checkpoint
from xstilts.modeling.predict_tags import predict_tags
from xstilts.modeling.tagged_inputs import IGNORE, encode_tagged
from xstilts.tag_metrics import NO_TAG, corpus_counts, pos_f1, tag_counts
from xstilts.tasks import get_task
from xstilts.tasks.spec import EmptyText, RowError
from xstilts.training.loop import Trainer, TrainingRun
from xstilts.training.tagging_objective import TaggingObjective

from .tiny_models import tiny_model, tiny_tokenizer

NER = get_task("panx").labels
POS = get_task("udpos").labels
# a toy tagging language: each word has one tag, names are PER entities
LEXICON = {
    "ana": "B-PER",
    "omar": "B-PER",
    "lena": "B-PER",
    "ravi": "B-PER",
    "sees": "O",
    "likes": "O",
    "the": "O",
    "dog": "O",
    "cat": "O",
    "and": "O",
    "in": "O",
    "park": "O",
    ".": "O",
}


def toy_sentence(rng: random.Random, index: int) -> TaggedExample:
    names = [w for w, t in LEXICON.items() if t != "O"]
    others = [w for w, t in LEXICON.items() if t == "O"]
    words = [rng.choice(names), rng.choice(["sees", "likes"])]
    words += rng.choice([["the", "dog"], ["the", "cat"], [rng.choice(names)]])
    words += [*rng.choice([[], ["in", "the", "park"], ["and", rng.choice(others)]]), "."]
    tags = tuple(NER.index(LEXICON[w]) for w in words)
    return TaggedExample(str(index), "en", tuple(words), tags)


@pytest.fixture(scope="module")
def tokenizer():
    lines = [" ".join(LEXICON) + " Ana Omar"] * 20
    return tiny_tokenizer(lines, vocab_size=120)


def test_tags_sit_on_first_sub_tokens_and_the_rest_is_ignored(tokenizer) -> None:
    example = TaggedExample("0", "en", ("ana", "likesss", "."), (1, 0, 0))
    encoded = encode_tagged([example], tokenizer, 64)
    feature = encoded[0]
    ids, labels = feature["input_ids"], feature["token_labels"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert [labels[p] for p in feature["word_positions"]] == [1, 0, 0]
    labelled = [i for i, label in enumerate(labels) if label != IGNORE]
    assert labelled == feature["word_positions"]
    assert len(ids) > len(example.words) + 2  # some word has several sub-tokens
    assert encoded.gold(0) == [1, 0, 0]


def test_a_long_sentence_is_split_between_words_and_no_word_is_lost(tokenizer) -> None:
    words = tuple(["ana", "likes", "the", "dog", "and", "the", "cat", "."] * 6)
    tags = tuple(i % len(NER) for i in range(len(words)))
    example = TaggedExample("0", "en", words, tags)
    encoded = encode_tagged([example], tokenizer, 12)
    assert len(encoded) > 1 and encoded.examples == 1
    assert all(len(f["input_ids"]) <= 12 for f in encoded)
    assert encoded.gold(0) == list(tags)
    whole = encode_tagged([example], tokenizer, 512)
    assert len(whole) == 1 and whole.gold(0) == list(tags)


def test_a_word_without_tokens_is_read_as_unk_and_counted(tokenizer) -> None:
    example = TaggedExample("0", "en", ("ana", "\u3000", "."), (1, 0, 0))
    encoded = encode_tagged([example], tokenizer, 64)
    assert encoded.unk_words == 1
    feature = encoded[0]
    assert feature["input_ids"][feature["word_positions"][1]] == tokenizer.unk_token_id
    assert encoded.gold(0) == [1, 0, 0]


def test_encode_and_collate_dispatch_tagged_examples(tokenizer) -> None:
    examples = [toy_sentence(random.Random(i), i) for i in range(3)]
    encoded = encode(iter(examples), tokenizer, 64)
    batch = collate(encoded[:3], tokenizer.pad_token_id)
    assert batch["labels"].shape == batch["input_ids"].shape
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE).all()


def test_tagged_examples_round_trip_through_prepared_records() -> None:
    example = TaggedExample("7", "zh", ("猫", "在"), (7, 1))
    assert example_from_dict("tagging", example_to_dict(example)) == example
    with pytest.raises(ValueError, match="2 words but 1 tags"):
        TaggedExample("0", "en", ("a", "b"), (0,))


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ({"tokens": ["Tom"], "ner_tags": [0, 0]}, RowError, "ner_tags: 2 tags for 1 tokens"),
        ({"tokens": ["Tom", "ran"], "ner_tags": [1, 9]}, RowError, "ner_tags[1]: 9 is not"),
        ({"tokens": ["Tom"], "ner_tags": ["B-XYZ"]}, RowError, "ner_tags[0]: 'B-XYZ' is not"),
        ({"tokens": [], "ner_tags": []}, EmptyText, "tokens: empty sentence"),
        ({"tokens": "Tom ran", "ner_tags": [0]}, RowError, "tokens: expected a list of texts"),
        ({"ner_tags": [0]}, RowError, "tokens: missing field"),
    ],
)
def test_bad_tag_rows_name_the_field(row, error, message) -> None:
    with pytest.raises(error) as caught:
        get_task("panx").make_example(row, 0, "en")
    assert str(caught.value).startswith(message), caught.value


def test_tags_by_name_and_by_position_agree() -> None:
    spec = get_task("udpos")
    by_position = spec.make_example({"tokens": ["Ana", "runs"], "pos_tags": [11, 15]}, 0, "en")
    by_name = spec.make_example({"tokens": ["Ana", "runs"], "pos_tags": ["PROPN", "VERB"]}, 0, "en")
    assert by_position == by_name and by_position.tags == (POS.index("PROPN"), POS.index("VERB"))


def random_bio(rng: random.Random, length: int) -> list[int]:
    return [rng.randrange(len(NER)) if rng.random() < 0.4 else 0 for _ in range(length)]


def test_entity_f1_is_seqevals() -> None:
    from seqeval.metrics import f1_score

    rng = random.Random(0)
    for _ in range(50):
        gold = [random_bio(rng, rng.randint(1, 12)) for _ in range(rng.randint(1, 8))]
        pred = [random_bio(rng, len(g)) for g in gold]
        counts = corpus_counts("f1", gold, pred, NER)
        expected = f1_score(
            [[NER[t] for t in s] for s in gold], [[NER[t] for t in s] for s in pred]
        )
        assert (counts.score or 0.0) == pytest.approx(expected)


def test_seqeval_documented_example() -> None:
    """seqeval's README example: F1 0.50 (one of two entities found, two predicted)."""
    names = ("O", "B-MISC", "I-MISC", "B-PER", "I-PER")
    gold = [[0, 0, 0, 1, 2, 2, 0], [3, 4, 0]]
    pred = [[0, 0, 1, 2, 2, 2, 0], [3, 4, 0]]
    assert corpus_counts("f1", gold, pred, names).score == pytest.approx(0.5)


def test_accuracy_counts_words_and_a_missing_prediction_is_wrong() -> None:
    assert tag_counts("accuracy", [1, 2, 3], [1, 2, NO_TAG], NER).score == pytest.approx(2 / 3)
    assert tag_counts("f1", [1, 0], [NO_TAG, 0], NER).score == 0.0
    assert tag_counts("f1", [0, 0], [0, 0], NER).score is None  # nothing to score
    with pytest.raises(ValueError, match="2 predicted tags for 3 words"):
        tag_counts("accuracy", [1, 2, 3], [1, 2], NER)


def test_pos_f1_is_xtremes_chunked_reading() -> None:
    names = POS
    noun, verb = names.index("NOUN"), names.index("VERB")
    # two equal neighbours are one chunk for seqeval: one wrong word loses the whole chunk
    assert pos_f1([[noun, noun, verb]], [[noun, verb, verb]], names) < 2 / 3


def toy_objective(tokenizer, rows: int, seed: int) -> TaggingObjective:
    rng = random.Random(seed)
    train = [toy_sentence(rng, i) for i in range(rows)]
    dev = [toy_sentence(rng, i) for i in range(60)]
    return TaggingObjective(
        name="panx",
        head="panx",
        train=encode(train, tokenizer, 64),
        dev=encode(dev, tokenizer, 64),
        pad_id=tokenizer.pad_token_id,
        tag_names=NER,
        metric="f1",
    )


def test_a_tiny_model_learns_to_tag_and_predicts_what_dev_scored(tokenizer, tmp_path) -> None:
    model = tiny_model(tokenizer, ("panx",), 0, hidden_size=32, max_position_embeddings=130)
    objective = toy_objective(tokenizer, 400, 0)
    settings = TrainingRun(
        LoopConfig(lr=3e-3, batch_size=16, eval_every=40, checkpoint_every=1000),
        SamplerConfig(),
        120,
        ExecutionConfig(),
    )
    result = Trainer(model, [objective], settings, 0, tmp_path / "state").fit()
    assert result.best_score >= 0.9, f"dev entity F1 {result.best_score:.2f}"
    # the prediction path scores dev exactly as training-time evaluation did
    rng = random.Random(0)
    [toy_sentence(rng, i) for i in range(400)]
    dev = [toy_sentence(rng, i) for i in range(60)]
    probs = predict_tags(model, tokenizer, "panx", dev, max_length=64)
    assert all(p.shape == (len(e.words), len(NER)) for p, e in zip(probs, dev, strict=True))
    np.testing.assert_allclose(probs[0].sum(axis=-1), 1.0, rtol=1e-5)
    pred = [p.argmax(axis=-1).tolist() for p in probs]
    counts = corpus_counts("f1", [list(e.tags) for e in dev], pred, NER)
    assert counts.score == pytest.approx(result.best_score)
    # a split prediction (segments of 8 tokens) keeps one row per word
    short = predict_tags(model, tokenizer, "panx", dev[:5], max_length=8)
    assert [len(p) for p in short] == [len(e.words) for e in dev[:5]]
    # the head round-trips through a checkpoint
    model.save(tmp_path / "ckpt", tokenizer, {"stage": "test"})
    loaded, _, _ = load_checkpoint(tmp_path / "ckpt", "cpu")
    again = predict_tags(loaded, tokenizer, "panx", dev[:5], max_length=64)
    for a, b in zip(again, probs[:5], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
