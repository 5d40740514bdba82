"""Every task of the full profile through the real hub loader and `prepare`: rows with exactly
each hub dataset's schema (field names, types, label encodings of the dataset cards), served by
`datasets.load_dataset` from local Parquet files; wrong labels and missing fields are named, and
so are pins the loader refuses (a script-only or missing revision, a renamed column)."""

from __future__ import annotations

import copy
import dataclasses
import time

import pytest
import regex
import yaml

from xstilts.cli import main
from xstilts.config import load_params
from xstilts.data import hub
from xstilts.data.mlm_corpus import WIKIPEDIA_REVISION
from xstilts.data.prepared import prepare
from xstilts.data.sources import load_examples, load_split
from xstilts.errors import XstiltsError
from xstilts.examples import TaggedExample, example_to_dict
from xstilts.io import read_json, read_jsonl
from xstilts.rehearsal.repos import (
    card_label_fields,
    source_language,
    source_languages,
    with_class_labels,
)
from xstilts.rehearsal.rows import (
    CARD_LABEL_NAMES,
    HUB_ROWS,
    NLI_NAMES,
    WIKIANN_NAMES,
    entity_spans,
    served_rows,
    source_key,
)
from xstilts.tasks import all_tasks, get_task
from xstilts.tasks.spec import NLI_LABELS, TaskSpec

from .conftest import REPO, deep_update


@pytest.fixture
def serve_hub(tmp_path, monkeypatch):
    """`datasets.load_dataset` answered from local Parquet files with the given rows, their
    label column (the spec's `label_field`: `label`, or a tag column as a list of ClassLabel)
    typed as the card's ClassLabel where the card declares one."""
    import datasets

    real_load = datasets.load_dataset
    calls: list[tuple] = []
    label_fields = card_label_fields()

    def serve(
        rows: dict[str, list[dict]], label_names: dict[str, list[str]] = CARD_LABEL_NAMES
    ) -> list[tuple]:
        def fake_load(path, name=None, split=None, revision=None, streaming=False):
            calls.append((path, name, split, revision))
            key = source_key(path, name)
            if key not in rows:
                raise datasets.exceptions.DatasetNotFoundError(f"no fixture for {key}")
            target = tmp_path / "hub" / f"{key.replace('/', '_')}-{name}-{split}.parquet"
            target.parent.mkdir(exist_ok=True)
            dataset = datasets.Dataset.from_list(copy.deepcopy(rows[key]))
            if key in label_names:
                dataset = with_class_labels(dataset, label_fields[key], label_names[key])
            dataset.to_parquet(str(target))
            return real_load("parquet", data_files=str(target), split="train", streaming=streaming)

        monkeypatch.setattr(hub, "require_hub", lambda what, datasets=False: None)
        monkeypatch.setattr(datasets, "load_dataset", fake_load)
        return calls

    return serve


def full_params(tmp_path, updates: dict | None = None):
    raw = yaml.safe_load((REPO / "profiles" / "full.yaml").read_text(encoding="utf-8"))
    # the served Wikipedia rows (two articles) hold five lines of text, and two headings
    data = {
        "languages": ["en", "de", "sw", "et", "zh"],
        "mlm_corpus": {"train_lines": 3, "dev_lines": 2},
    }
    raw = deep_update(raw, {"data": data})
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(deep_update(raw, updates or {})), encoding="utf-8")
    return load_params(path)


def test_full_profile_prepare_reads_every_task_through_the_hub_loader(tmp_path, serve_hub):
    calls = serve_hub(HUB_ROWS)
    params = full_params(tmp_path)
    summary = prepare(params, tmp_path / "prepared")
    every = {t for tasks in params.conditions.values() for t in tasks} | {"siqa", "copa"}
    assert "mlm" in every  # multi+mlm's corpus: prepared/mlm/
    assert {key.split("/")[0] for key in summary} == every | set(params.targets)
    # XCOPA trains on SIQA then COPA: its own train/dev splits are not prepared
    assert "xcopa/train.en.jsonl" not in summary and "copa/train.en.jsonl" in summary
    assert set(summary) >= {"xnli/test.de.jsonl", "pawsx/test.zh.jsonl", "xcopa/test.et.jsonl"}
    assert "xcopa/test.de.jsonl" not in summary  # languages are each target's own
    # every hub source was asked at its pinned revision
    assert all(revision and len(revision) == 40 for *_, revision in calls)
    # ANLI+: SNLI (its -1 row dropped) + MNLI + ANLI R1-R3, ids kept unique by source
    anli = read_jsonl(tmp_path / "prepared/anli_plus/train.en.jsonl")
    assert len(anli) == 2 + 2 + 3 * 2
    assert len({r["id"] for r in anli}) == len(anli)
    assert {r["label"] for r in anli} == {0, 1, 2}
    assert summary["anli_plus/train.en.jsonl"]["source"].startswith("stanfordnlp/snli")
    assert summary["anli_plus/train.en.jsonl"]["skipped_rows"] == {"no gold label": 1}
    assert "skipped_rows" not in summary["anli_plus/dev.en.jsonl"]
    # RACE: a cloze question has its blank filled; two questions on one article stay distinct
    race = read_jsonl(tmp_path / "prepared/race/train.en.jsonl")
    assert race[1]["choices"][0] == "Tom has a dog ." and race[1]["question"] == ""
    hellaswag = read_jsonl(tmp_path / "prepared/hellaswag/dev.en.jsonl")
    assert [r["label"] for r in hellaswag] == [3, 0] and hellaswag[1]["question"] == ""
    csqa = read_jsonl(tmp_path / "prepared/commonsenseqa/train.en.jsonl")
    assert csqa[1]["label"] == 1 and csqa[1]["context"] == "Where do you keep milk?"
    siqa = read_jsonl(tmp_path / "prepared/siqa/train.en.jsonl")
    assert [r["label"] for r in siqa] == [0, 2] and len(siqa[0]["choices"]) == 3
    xnli = read_jsonl(tmp_path / "prepared/xnli/test.zh.jsonl")
    assert [NLI_LABELS[r["label"]] for r in xnli] == ["neutral", "contradiction"]
    # multi+mlm's corpus: Wikipedia streamed in every language the run tests a target in, at
    # the pinned commit; article lines in order, headings left out, train then dev
    languages = ("en", "de", "sw", "et", "zh")
    wiki = sorted(call for call in calls if call[0] == "wikimedia/wikipedia")
    pinned = [("wikimedia/wikipedia", f"20231101.{lang}", "train", WIKIPEDIA_REVISION)
              for lang in sorted(languages)]  # fmt: skip
    assert wiki == pinned
    mlm_train = read_jsonl(tmp_path / "prepared/mlm/train.sw.jsonl")
    mlm_dev = read_jsonl(tmp_path / "prepared/mlm/dev.sw.jsonl")
    assert [r["text"][:12] for r in mlm_train + mlm_dev] == [
        "A river is a", "Most rivers ", "Some rivers ", "Bread is a s", "The oldest k"
    ]  # fmt: skip
    assert {r["lang"] for r in mlm_train} == {"sw"}
    assert summary["mlm/dev.zh.jsonl"]["source"].startswith("wikimedia/wikipedia (20231101.zh)")
    # PAN-X: English training and dev, a test split in each of its languages among the run's
    # (de sw et zh, and en); words and tags as WikiANN's rows give them, ids the row indices
    assert "panx" in params.targets and "udpos" not in params.targets
    panx_files = {k for k in summary if k.startswith("panx/")}
    tests = {f"panx/test.{lang}.jsonl" for lang in ("en", "de", "sw", "et", "zh")}
    assert panx_files == {"panx/train.en.jsonl", "panx/dev.en.jsonl"} | tests
    panx = read_jsonl(tmp_path / "prepared/panx/train.en.jsonl")
    assert [r["id"] for r in panx] == ["0", "1"]
    assert panx[0]["words"] == ["Tom", "Smith", "lives", "in", "Paris", "."]
    assert [get_task("panx").labels[t] for t in panx[1]["tags"]] == [
        "O", "B-ORG", "I-ORG", "O", "O", "B-LOC", "I-LOC"
    ]  # fmt: skip
    assert summary["panx/test.zh.jsonl"]["source"].startswith("unimelb-nlp/wikiann (zh)")
    # google/xtreme is read for MLQA only (its UD-POS configs have no pin): the same-language
    # test sets, and, with `evaluate.cross_language` (on in the full profile), G-XLT's
    # `MLQA.<context>.<question>` for every other pair, read in the context's language
    xtreme = {name for path, name, *_ in calls if path == "google/xtreme"}
    mlqa_languages = ("en", "de", "zh")
    assert xtreme == {f"MLQA.{c}.{q}" for c in mlqa_languages for q in mlqa_languages}
    cross = {k for k in summary if k.startswith("mlqa/test-question-")}
    assert cross == {
        f"mlqa/test-question-{q}.{c}.jsonl"
        for c in mlqa_languages
        for q in mlqa_languages
        if c != q
    }
    assert summary["mlqa/test-question-en.de.jsonl"]["source"].startswith(
        "google/xtreme (MLQA.de.en) split 'test'"
    )
    assert {
        r["lang"] for r in read_jsonl(tmp_path / "prepared/mlqa/test-question-en.de.jsonl")
    } == {"de"}
    # span QA: SQuAD trains XQuAD and MLQA; TyDiQA trains on its English rows, tests each
    # language's rows of the one validation table (ids name the language)
    squad = read_jsonl(tmp_path / "prepared/squad/train.en.jsonl")
    assert squad[1]["answers"] == ["salt", "salt"] and squad[1]["starts"] == [40, 40]
    assert read_jsonl(tmp_path / "prepared/xquad/train.en.jsonl") == squad
    assert {k for k in summary if k.startswith("mlqa/test.")} == {
        f"mlqa/test.{lang}.jsonl" for lang in ("en", "de", "zh")
    }
    tydiqa = read_jsonl(tmp_path / "prepared/tydiqa/train.en.jsonl")
    assert [r["id"][:8] for r in tydiqa] == ["english-"] * 2
    swahili = read_jsonl(tmp_path / "prepared/tydiqa/test.sw.jsonl")
    assert [r["id"][:8] for r in swahili] == ["swahili-"] * 2
    assert summary["tydiqa/test.sw.jsonl"]["source"].endswith(
        "split 'validation', ids 'swahili-...' at revision "
        + get_task("tydiqa").splits["test"].hub_parts[0].revision
    )
    assert read_json(tmp_path / "prepared/summary.json") == summary


# (task, split, field, a wrong label of the dataset's own type, message)
BAD_LABELS = [
    ("anli_plus", "dev", "label", 3, "field label: 3 is not one of 0..2"),
    ("sst2", "train", "label", 2, "field label: 2 is not one of 0..1"),
    ("hellaswag", "train", "label", "4", "field label: '4' is not one of"),
    ("cosmosqa", "train", "label", 4, "field label: 4 is not one of 0..3"),
    ("commonsenseqa", "train", "answerKey", "F", "field answerKey: 'F' is not one of"),
    ("siqa", "train", "label", "A", "field label: 'A' is not one of"),
    ("copa", "train", "label", 2, "field label: 2 is not 0 or 1"),
    ("mnli", "train", "label", 3, "field label: 3 is not one of 0..2"),
    ("qqp", "train", "label", 2, "field label: 2 is not one of 0..1"),
    ("race", "train", "answer", "E", "field answer: 'E' is not a letter A..D"),
    ("xnli", "test", "label", 3, "field label: 3 is not one of 0..2"),
    ("pawsx", "test", "label", 2, "field label: 2 is not one of 0..1"),
    ("xcopa", "test", "label", 2, "field label: 2 is not 0 or 1"),
    ("panx", "train", "ner_tags", [1, 2, 7, 0, 5, 0], "field ner_tags[2]: 7 is not one of 0..6"),
    ("panx", "test", "ner_tags", [0, 1, 2, 0, -1, 0], "field ner_tags[4]: -1 is not one of 0..6"),
]
MISSING = [
    ("anli_plus", "train", "hypothesis"),
    ("sst2", "dev", "sentence"),
    ("hellaswag", "dev", "ctx_b"),
    ("cosmosqa", "dev", "answer3"),
    ("commonsenseqa", "dev", "choices"),
    ("siqa", "dev", "answerC"),
    ("copa", "dev", "premise"),
    ("mnli", "dev", "premise"),
    ("qqp", "dev", "question2"),
    ("race", "dev", "options"),
    ("xnli", "dev", "hypothesis"),
    ("pawsx", "dev", "sentence1"),
    ("xcopa", "test", "question"),
    ("panx", "test", "tokens"),
    ("squad", "dev", "context"),
    ("xquad", "test", "answers"),
    ("mlqa", "test", "question"),
]


def hub_part(task: str, split: str):
    spec = get_task(task)
    lang = "en" if split != "test" else spec.languages[-1]
    part = spec.splits[split].hub_parts[0].for_lang(lang)
    return spec, lang, part, source_key(part.path, part.config)


@pytest.mark.parametrize(("task", "split", "field", "value", "message"), BAD_LABELS)
def test_wrong_label_names_dataset_split_row_and_field(
    serve_hub, task, split, field, value, message
):
    spec, lang, part, key = hub_part(task, split)
    good = HUB_ROWS[key][0]
    serve_hub({**HUB_ROWS, key: [good, {**good, field: value}]})
    with pytest.raises(XstiltsError) as caught:
        load_examples(spec, split, lang, "full", REPO)
    text = str(caught.value)
    assert f"task {task}, {part.describe()}, row 1: {message}" in text, text
    assert f"split '{part.split}'" in text and "\n" not in text


@pytest.mark.parametrize(("task", "split", "field"), MISSING)
def test_missing_field_names_dataset_split_row_and_field(serve_hub, task, split, field):
    spec, lang, part, key = hub_part(task, split)
    rows = [{k: v for k, v in row.items() if k != field} for row in HUB_ROWS[key]]
    serve_hub({**HUB_ROWS, key: rows})
    with pytest.raises(XstiltsError) as caught:
        load_examples(spec, split, lang, "full", REPO)
    text = str(caught.value)
    assert f"task {task}, {part.describe()}, row 0: field {field}: missing field" in text, text


def test_a_reordered_label_column_at_the_hub_fails_in_one_line(serve_hub) -> None:
    """A revision whose ClassLabel lists the classes in another order, or names none, would
    have every label decoded by an unchecked table: the loader refuses it before reading a row."""
    reordered = ["contradiction", "entailment", "neutral"]  # jiant / XTREME-file order
    serve_hub(HUB_ROWS, {**CARD_LABEL_NAMES, "facebook/xnli": reordered})
    with pytest.raises(XstiltsError) as caught:
        load_examples(get_task("xnli"), "test", "zh", "full", REPO)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("dataset facebook/xnli (zh) split 'test'")
    assert f"declares its label classes as {reordered}" in message
    assert f"decodes them as {NLI_NAMES}" in message
    untyped = {k: v for k, v in CARD_LABEL_NAMES.items() if k != "facebook/xnli"}
    serve_hub(HUB_ROWS, untyped)  # a plain integer column: nothing to check the table against
    with pytest.raises(XstiltsError, match=r"declares its label classes with no names"):
        load_examples(get_task("xnli"), "test", "zh", "full", REPO)


def test_a_reordered_tag_column_at_the_hub_fails_in_one_line(serve_hub) -> None:
    """A tag column is checked like a label column: its list of ClassLabel must name the tags
    in the spec's order, or no row is read."""
    reordered = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    serve_hub(HUB_ROWS, {**CARD_LABEL_NAMES, "unimelb-nlp/wikiann": reordered})
    with pytest.raises(XstiltsError) as caught:
        load_examples(get_task("panx"), "test", "sw", "full", REPO)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("dataset unimelb-nlp/wikiann (sw) split 'test'"), message
    assert f"declares its label classes as {reordered}" in message
    assert f"decodes them as {WIKIANN_NAMES}" in message
    untyped = {k: v for k, v in CARD_LABEL_NAMES.items() if k != "unimelb-nlp/wikiann"}
    serve_hub(HUB_ROWS, untyped)  # a plain list of integers: no names to check
    with pytest.raises(XstiltsError, match=r"declares its label classes with no names"):
        load_examples(get_task("panx"), "test", "sw", "full", REPO)


def test_a_tag_list_of_another_length_than_its_words_is_one_line(serve_hub) -> None:
    """A row whose tags do not pair off with its words cannot be aligned: one line naming the
    row and the tag field, with both counts."""
    good = HUB_ROWS["unimelb-nlp/wikiann"][0]
    short = {**good, "ner_tags": good["ner_tags"][:-1]}
    serve_hub({**HUB_ROWS, "unimelb-nlp/wikiann": [good, short]})
    part = get_task("panx").splits["dev"].hub_parts[0].for_lang("en")
    with pytest.raises(XstiltsError) as caught:
        load_examples(get_task("panx"), "dev", "en", "full", REPO)
    message = str(caught.value)
    assert "\n" not in message
    assert message == f"task panx, {part.describe()}, row 1: field ner_tags: 5 tags for 6 tokens"


def pinned(spec: TaskSpec, revision: str = "0" * 40) -> TaskSpec:
    """`spec` with every hub source at `revision` (a stand-in pin for an unpinned source)."""
    splits = {
        name: dataclasses.replace(
            split, hub=tuple(dataclasses.replace(p, revision=revision) for p in split.hub_parts)
        )
        for name, split in spec.splits.items()
    }
    return dataclasses.replace(spec, splits=splits)


def test_udpos_rows_convert_through_the_hub_loader(serve_hub) -> None:
    """UD-POS's converter on google/xtreme-shaped rows, through the loader (ClassLabel check
    of `pos_tags` included), once a revision is pinned: the `udpos.<Language>` config of each
    language, tags decoded by name, ids the row indices."""
    calls = serve_hub(HUB_ROWS)
    spec = pinned(get_task("udpos"))
    train = load_examples(spec, "train", "en", "full", REPO)
    test = load_examples(spec, "test", "de", "full", REPO)
    assert [call[:3] for call in calls] == [
        ("google/xtreme", "udpos.English", "train"),
        ("google/xtreme", "udpos.German", "test"),
    ]
    assert all(isinstance(example, TaggedExample) for example in train + test)
    first = example_to_dict(train[0])
    assert first["id"] == "0" and first["lang"] == "en"
    assert first["words"] == ["The", "cat", "sleeps", "on", "it", "."]
    assert [spec.labels[tag] for tag in first["tags"]] == [
        "DET", "NOUN", "VERB", "ADP", "PRON", "PUNCT"
    ]  # fmt: skip
    assert [example.id for example in test] == ["0", "1"] and test[1].lang == "de"
    second = ["PROPN", "VERB", "NUM", "ADJ", "NOUN", "PUNCT"]
    assert [spec.labels[tag] for tag in test[1].tags] == second


def test_untranslated_pawsx_rows_are_dropped_and_counted(serve_hub, tmp_path) -> None:
    """PAWS-X's translated dev and test sets hold a few "NS" placeholders where a sentence was
    not translated (google-research-datasets/paws issue 15, dev id 684 in German): such a row
    is no text in the language; `prepare` drops it and says how many it dropped."""
    rows = copy.deepcopy(HUB_ROWS)
    placeholder = {"id": 684, "sentence1": "Die Straße verläuft weiter.", "sentence2": "NS"}
    rows["google-research-datasets/paws-x"].append({**placeholder, "label": 0})
    serve_hub(rows)
    test = load_examples(get_task("pawsx"), "test", "de", "full", REPO)
    assert [example.id for example in test] == ["1", "2"]
    summary = prepare(full_params(tmp_path), tmp_path / "prepared")
    untranslated = {'untranslated ("NS" placeholder)': 1}
    assert summary["pawsx/test.de.jsonl"]["skipped_rows"] == untranslated
    assert len(read_jsonl(tmp_path / "prepared/pawsx/test.de.jsonl")) == 2


def test_misplaced_answers_are_moved_or_dropped_and_counted(serve_hub, tmp_path) -> None:
    """Span QA: the hub's TyDiQA-GoldP and XQuAD loaders stripped contexts without moving the
    answer offsets; an answer found elsewhere in its context is moved there and counted, one
    that does not occur is dropped and counted, and a table where many do not fails in one
    line (a wrong field)."""
    rows = copy.deepcopy(HUB_ROWS)
    good = rows["google/xquad"][0]
    shifted = {**good, "id": "s1", "answers": {"text": ["a cat"], "answer_start": [9]}}
    absent = {**good, "id": "s2", "answers": {"text": ["a dog"], "answer_start": [8]}}
    # 0.1% of a table may be defective: one absent answer among 2,003 rows is dropped
    rows["google/xquad"] += [shifted, *({**good, "id": f"g{i}"} for i in range(2000)), absent]
    serve_hub(rows)
    loaded = load_split(get_task("xquad"), "test", "de", "full", REPO)
    moved = next(e for e in loaded.examples if e.id == "s1")
    assert moved.starts == (8,) and moved.context[8:13] == "a cat"
    assert loaded.repaired == {"answer offset moved to where its text is": 1}
    assert loaded.skipped == {"answer not in its context": 1}
    rows["google/xquad"] = [absent, {**absent, "id": "s3"}, good]
    serve_hub(rows)
    with pytest.raises(XstiltsError, match="rows with 'answer not in its context'") as caught:
        load_split(get_task("xquad"), "test", "de", "full", REPO)
    assert "does not occur in the context" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unpinned_source_is_refused_in_one_line_without_the_network(monkeypatch) -> None:
    """google/xtreme has no pinned revision: loading UD-POS stops at once, naming the dataset
    and where to pin it, before the hub is asked anything."""
    import datasets

    def touched(*args: object, **kwargs: object) -> None:
        raise AssertionError("the hub was asked")

    monkeypatch.setattr(hub, "require_hub", touched)
    monkeypatch.setattr(datasets, "load_dataset", touched)
    part = get_task("udpos").splits["test"].hub_parts[0].for_lang("de")
    assert part.revision is None and part.config == "udpos.German"
    with pytest.raises(XstiltsError) as caught:
        next(iter(hub.hub_rows(part)))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("dataset google/xtreme (udpos.German) split 'test' (no pinned")
    assert "src/xstilts/tasks/revisions.py" in message
    with pytest.raises(XstiltsError, match="no pinned revision"):
        load_examples(get_task("udpos"), "train", "en", "full", REPO)


def test_full_profile_params_refuse_udpos_in_one_line(tmp_path) -> None:
    """A full run listing UD-POS is refused when the params are read, not when `prepare`
    reaches google/xtreme."""
    with pytest.raises(XstiltsError) as caught:
        full_params(tmp_path, {"targets": ["xnli", "panx", "udpos"], "rsda": {"tasks": ["xnli"]}})
    message = str(caught.value)
    assert "\n" not in message, message
    assert "udpos" in message and "google/xtreme" in message
    assert "src/xstilts/tasks/revisions.py" in message


def test_served_cross_language_qa_rows_ask_in_one_language_about_another() -> None:
    """The stand-in's `MLQA.<context>.<question>` rows: context and answers in the context's
    language, at their offsets, the question in the question's."""
    source = get_task("mlqa").cross_source("hi").hub_parts[0].for_lang("ar")
    assert source.config == "MLQA.ar.hi" and source_languages(source) == ("ar", "hi")
    assert source_languages(get_task("mlqa").splits["test"].hub_parts[0].for_lang("de")) == (
        "de",
        None,
    )
    for row in served_rows("google/xtreme:MLQA", 3, "ar", "hi"):
        assert regex.search(r"\p{Arabic}", row["context"]) and not regex.search(
            r"\p{Devanagari}", row["context"]
        )
        assert regex.search(r"\p{Devanagari}", row["question"])
        assert not regex.search(r"\p{Arabic}", row["question"])
        for text, start in zip(row["answers"]["text"], row["answers"]["answer_start"], strict=True):
            assert row["context"][start:].startswith(text)


def test_served_tagging_rows_cover_every_tag_and_are_in_the_test_language() -> None:
    """The stand-in's tagging rows: over a split of the rehearsal's smallest size every tag
    occurs; a test language's rows have each word localized (punctuation kept), `langs` in that
    language and `spans` true to the row's tokens and tags."""
    for key in ("google/xtreme", "unimelb-nlp/wikiann"):
        field = card_label_fields()[key]
        rows = served_rows(key, 4, "zh")
        assert {tag for row in rows for tag in row[field]} == set(range(len(CARD_LABEL_NAMES[key])))
        for row, template in zip(rows, HUB_ROWS[key] * 2, strict=True):
            assert len(row["tokens"]) == len(row[field]) == len(template["tokens"])
            assert row["tokens"][-1] == "." or template["tokens"][-1] != "."
            assert not (set(row["tokens"]) - {"."}) & set(template["tokens"])  # all localized
    wikiann = served_rows("unimelb-nlp/wikiann", 4, "sw")
    for row in wikiann:
        assert row["langs"] == ["sw"] * len(row["tokens"])
        assert row["spans"] == entity_spans(row["tokens"], row["ner_tags"], WIKIANN_NAMES)
    for template in HUB_ROWS["unimelb-nlp/wikiann"]:  # the templates' spans are the card's form
        assert template["spans"] == entity_spans(
            template["tokens"], template["ner_tags"], WIKIANN_NAMES
        )


def test_the_stand_ins_tag_columns_load_back_as_class_label_lists(tmp_path) -> None:
    """What the rehearsal writes for a tagging source loads back, through datasets' Parquet
    reader, as a list of ClassLabel that the loader's name check accepts."""
    import datasets

    from xstilts.rehearsal import repos

    part = get_task("panx").splits["test"].hub_parts[0].for_lang("et")
    assert source_language(part) == "et"
    written = repos.write_parquet([part], 5, tmp_path / "test.parquet")
    loaded = datasets.load_dataset(
        "parquet", data_files=str(tmp_path / "test.parquet"), split="train"
    )
    column = loaded.features["ner_tags"]
    assert isinstance(column, datasets.List) and column.feature.names == WIKIANN_NAMES
    hub.check_label_names(loaded.features, part)
    assert [row["ner_tags"] for row in loaded] == [row["ner_tags"] for row in written]
    assert {lang for row in loaded for lang in row["langs"]} == {"et"}
    udpos = pinned(get_task("udpos")).splits["test"].hub_parts[0].for_lang("zh")
    assert source_language(udpos) == "zh"
    assert all(source.revision for source in repos.hub_sources())
    # google/xtreme's UD-POS configs have no pin (its MLQA configs do, MLQA's own)
    xtreme = {s.config.split(".")[0] for s in repos.hub_sources() if s.path == "google/xtreme"}
    assert xtreme == {"MLQA"}


def test_every_hub_label_table_is_the_dataset_cards() -> None:
    """Every source whose card declares class names has its spec assert them, in order."""
    declared = {
        source_key(part.path, part.config): list(part.label_names)
        for spec in all_tasks().values()
        for split in spec.splits.values()
        for part in split.hub_parts
        if part.label_names
    }
    assert declared == CARD_LABEL_NAMES


def test_every_registered_task_has_a_hub_fixture() -> None:
    for spec in all_tasks().values():
        for split in spec.splits.values():
            for part in split.hub_parts:
                assert source_key(part.path, part.config) in HUB_ROWS, part.path


def test_unreachable_hub_stops_the_full_profile_in_seconds(tmp_path, monkeypatch, capsys):
    """The real preflight against a port where nothing listens: one line naming the first
    dataset, exit status 2, and no prepared/ left behind."""
    from huggingface_hub import constants

    full_params(tmp_path)  # writes tmp_path/params.yaml
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    started = time.monotonic()
    assert main(["prepare"]) == 2
    assert time.monotonic() - started < 15
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "cannot reach the Hugging Face hub" in err and "dataset stanfordnlp/snli" in err
    assert not (tmp_path / "prepared").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["params.yaml"]


SIQA = "allenai/social_i_qa"


def script_only_repo(tmp_path):
    """A dataset repo as social_i_qa's main branch is: a loading script and no data files."""
    repo = tmp_path / "social_i_qa"
    repo.mkdir()
    (repo / "social_i_qa.py").write_text("import datasets\n", encoding="utf-8")
    (repo / "README.md").write_text("# Social IQa\n", encoding="utf-8")
    return repo


def test_a_script_only_revision_stops_prepare_in_one_line(
    tmp_path, serve_hub, monkeypatch, capsys
) -> None:
    """datasets' own refusal (a RuntimeError) on a local script-only repo, through `prepare`:
    exit status 2, one line naming the dataset and revision, no prepared/ left behind."""
    import datasets

    real_load = datasets.load_dataset
    serve_hub(HUB_ROWS)
    served = datasets.load_dataset
    repo = script_only_repo(tmp_path)

    def load(path, name=None, split=None, revision=None):
        if path == SIQA:
            return real_load(str(repo), name, split=split)
        return served(path, name, split=split, revision=revision)

    monkeypatch.setattr(datasets, "load_dataset", load)
    full_params(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["prepare"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "xstilts" in line]
    assert len(errors) == 1 and "Traceback" not in errors[0], errors  # the rest: progress bars
    err = errors[0]
    siqa = get_task("siqa").splits["train"].hub_parts[0]
    assert f"dataset {SIQA}" in err and f"at revision {siqa.revision}" in err
    assert "holds only a loading script" in err and "refs/convert/parquet" in err
    assert not (tmp_path / "prepared").exists()


def test_a_revision_that_does_not_exist_names_the_pin(serve_hub, monkeypatch) -> None:
    """datasets turns the hub's RevisionNotFoundError into DatasetNotFoundError: the pin is
    wrong, so the line says so instead of suggesting the network is down."""
    import datasets

    def missing(path, name=None, split=None, revision=None):
        message = f"Revision '{revision}' doesn't exist for dataset '{path}' on the Hub."
        raise datasets.exceptions.DatasetNotFoundError(message)

    serve_hub(HUB_ROWS)
    monkeypatch.setattr(datasets, "load_dataset", missing)
    part = get_task("xnli").splits["test"].hub_parts[0].for_lang("sw")
    with pytest.raises(XstiltsError) as caught:
        load_examples(get_task("xnli"), "test", "sw", "full", REPO)
    assert str(caught.value) == (
        f"cannot load dataset {part.describe()}: Revision '{part.revision}' doesn't exist for "
        f"dataset 'facebook/xnli' on the Hub.; {hub.DATASET_PIN_HINT}"
    )


def test_a_renamed_column_names_dataset_revision_and_column(serve_hub) -> None:
    part = get_task("xnli").splits["test"].hub_parts[0].for_lang("sw")
    rows = [
        {**{k: v for k, v in row.items() if k != "hypothesis"}, "hypo": row["hypothesis"]}
        for row in HUB_ROWS["facebook/xnli"]
    ]
    serve_hub({**HUB_ROWS, "facebook/xnli": rows})
    with pytest.raises(XstiltsError) as caught:
        load_examples(get_task("xnli"), "test", "sw", "full", REPO)
    message = str(caught.value)
    assert "\n" not in message
    assert f"{part.describe()}, row 0: field hypothesis: missing field" in message
    assert f"at revision {part.revision}" in message
    assert "(row has hypo, label, premise)" in message


def test_a_refused_revision_never_loads_another_revisions_cached_rows(tmp_path) -> None:
    """With Social IQa's pinned rows in the datasets cache, a revision the hub refuses (its
    script-only main branch) must not load them: datasets falls back to the newest cached copy
    of the dataset, of any revision, with a warning only. Real loaders, a stand-in hub selected
    with HF_ENDPOINT, a fresh cache."""
    import os
    import subprocess
    import sys

    from xstilts.rehearsal import repos
    from xstilts.rehearsal.hub_server import StandInServer

    siqa = get_task("siqa").splits["train"].hub_parts[0]
    hub_dir = tmp_path / "hub" / "datasets" / siqa.path
    repos.write_parquet([siqa], 6, hub_dir / siqa.revision / repos.data_file(siqa))
    repos.write_script_only(hub_dir / repos.SCRIPT_ONLY_REVISION)
    code = (
        "import sys; from xstilts.data.hub import hub_rows; from xstilts.errors import "
        "XstiltsError; from xstilts.tasks.spec import HubSource\n"
        "for revision in sys.argv[1:]:\n"
        "    try:\n"
        "        print(len(list(hub_rows(HubSource('allenai/social_i_qa', None, 'train', "
        "revision)))))\n"
        "    except XstiltsError as err:\n"
        "        print(err)"
    )
    with StandInServer(tmp_path / "hub") as server:
        env = {**os.environ, "HF_ENDPOINT": server.url, "HF_HOME": str(tmp_path / "hf")}
        env.pop("HF_HUB_OFFLINE", None)
        env.pop("HF_DATASETS_CACHE", None)
        command = [sys.executable, "-c", code, siqa.revision, repos.SCRIPT_ONLY_REVISION]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    pinned, refused = done.stdout.strip().splitlines()
    assert pinned == "6", done.stderr[-2000:]
    assert refused.startswith(
        f"cannot load dataset allenai/social_i_qa split 'train' at revision "
        f"{repos.SCRIPT_ONLY_REVISION}: the hub did not serve it, and datasets fell back to a "
        f"cached copy of revision {siqa.revision}"
    ), refused
    assert refused.endswith(hub.DATASET_PIN_HINT)
