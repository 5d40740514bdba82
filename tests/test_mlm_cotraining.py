"""Continuing multilingual masked LM during intermediate training (a condition that lists
`mlm`, e.g. `multi+mlm`): its corpus, its objective beside the task heads, its selection, and
what it is for: the encoder keeps the masked-LM knowledge that plain intermediate training
forgets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from safetensors.torch import load_file

from xstilts.config import MLM_TASK, Params, deep_update, parse_params
from xstilts.data import hub
from xstilts.data.hub import hub_stream
from xstilts.data.mlm_corpus import WIKIPEDIA, WIKIPEDIA_REVISION, article_lines
from xstilts.data.prepared import prepare
from xstilts.demo.guide import condition_line
from xstilts.errors import XstiltsError
from xstilts.io import read_jsonl
from xstilts.modeling.model import (
    HEADS_FILE,
    MultiTaskModel,
    load_checkpoint,
    load_masked_lm,
    load_tokenizer,
)
from xstilts.rehearsal.hub_server import StandInServer
from xstilts.rehearsal.repos import data_file, readme, write_parquet
from xstilts.stages.finetune import mlm_objective
from xstilts.stages.intermediate import run_intermediate

from .conftest import REPO, TINY_RUN, sample_profile

BASE = REPO / "pretrained"  # the tracked sample encoder (dvc pull pretrained.dvc)


def params_with(conditions: dict, **updates) -> Params:
    raw = deep_update(sample_profile(), updates)
    raw["conditions"] = {"none": [], **conditions}
    raw["rsda"] = {"conditions": []}
    return parse_params(raw)


def test_a_condition_may_list_mlm_once_beside_its_tasks() -> None:
    params = params_with({"multi+mlm": ["qqp", "mnli", "race", MLM_TASK]})
    assert params.mlm_conditions == ("multi+mlm",)
    with pytest.raises(XstiltsError, match=r"lists a task twice"):
        params_with({"mnli+mlm": ["mnli", MLM_TASK, MLM_TASK]})
    with pytest.raises(XstiltsError, match=r"unknown intermediate task 'wiki'.*and mlm"):
        params_with({"bad": ["wiki"]})


def test_prepare_writes_the_first_lines_of_each_test_language(tmp_path, small_world) -> None:
    params = parse_params(
        deep_update(
            deep_update(sample_profile(), TINY_RUN),
            {"data": {"languages": ["en", "zh", "ar"]}},
        )
    )
    summary = prepare(params, tmp_path / "prepared", small_world)
    sizes = params.data.mlm_corpus
    for lang in ("en", "zh", "ar"):
        corpus = [
            line
            for line in (small_world / "corpus" / f"{lang}.txt").read_text("utf-8").splitlines()
            if line.strip()
        ]
        train = read_jsonl(tmp_path / "prepared" / "mlm" / f"train.{lang}.jsonl")
        dev = read_jsonl(tmp_path / "prepared" / "mlm" / f"dev.{lang}.jsonl")
        assert [r["text"] for r in train + dev] == corpus[: sizes.train_lines + sizes.dev_lines]
        assert len(dev) == sizes.dev_lines and {r["lang"] for r in train} == {lang}
        assert summary[f"mlm/train.{lang}.jsonl"]["lines"] == sizes.train_lines
    assert not (tmp_path / "prepared" / "mlm" / "train.ru.jsonl").exists()  # not tested: not read


def test_a_corpus_shorter_than_asked_is_one_line(tmp_path, small_world) -> None:
    params = parse_params(
        deep_update(
            deep_update(sample_profile(), TINY_RUN),
            {"data": {"mlm_corpus": {"train_lines": 100_000}}},
        )
    )
    with pytest.raises(XstiltsError, match=r"corpus/en\.txt has \d+ lines, fewer than") as err:
        prepare(params, tmp_path / "prepared", small_world)
    assert "\n" not in str(err.value)


def test_wikipedia_lines_are_text_not_headings() -> None:
    article = (
        "Bread\n\nBread is a food made of flour and water.\n\nHistory\n\n"
        "  Old loaves were baked.  \n"
    )
    assert list(article_lines(article)) == [
        "Bread is a food made of flour and water.",
        "Old loaves were baked.",
    ]


def test_wikipedia_offline_is_one_line_pointing_to_the_sample_profile(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(XstiltsError) as err:
        next(hub_stream(WIKIPEDIA.for_lang("sw")))
    message = str(err.value)
    assert "wikimedia/wikipedia (20231101.sw)" in message and "xstilts profile sample" in message
    assert "\n" not in message


def test_an_unreachable_hub_is_one_line(monkeypatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)

    def unreachable(what: str, datasets: bool = False) -> None:
        raise XstiltsError(f"cannot reach the Hugging Face hub to fetch {what}; {hub.OFFLINE_HINT}")

    monkeypatch.setattr(hub, "require_hub", unreachable)
    with pytest.raises(XstiltsError, match=r"cannot reach .*20231101\.zh"):
        list(hub_stream(WIKIPEDIA.for_lang("zh")))


STREAM = """
import json
from dataclasses import replace
from itertools import islice

from xstilts.data.hub import hub_stream
from xstilts.data.mlm_corpus import WIKIPEDIA, wikipedia_lines
from xstilts.errors import XstiltsError

found = {lang: list(islice(wikipedia_lines(lang), 7)) for lang in ("en", "zh", "ar")}
try:
    next(hub_stream(replace(WIKIPEDIA.for_lang("en"), revision="0" * 40)))
except XstiltsError as err:
    found["refused"] = str(err)
print(json.dumps(found))
"""


def test_wikipedia_streams_through_the_hub_client_at_the_pinned_commit(tmp_path) -> None:
    """The full profile's corpus through the real client calls (datasets' streaming reader over
    HTTP) against the rehearsal's stand-in hub, which serves Wikipedia's layout (a Parquet
    folder per `20231101.<lang>` config) at the pinned commit only: each language's article
    lines in order, headings left out; a commit the hub does not have stops in one line."""
    sources = [WIKIPEDIA.for_lang(lang) for lang in ("en", "zh", "ar")]
    base = tmp_path / "hub" / "datasets" / WIKIPEDIA.path / WIKIPEDIA_REVISION
    for source in sources:
        write_parquet([source], 4, base / data_file(source))
    (base / "README.md").write_text(readme(sources), encoding="utf-8")
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(REPO / "src")}
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        env.pop(name, None)
    with StandInServer(tmp_path / "hub") as server:
        done = subprocess.run(
            [sys.executable, "-c", STREAM],
            env={**env, "HF_ENDPOINT": server.url},
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # two articles served in turn: five lines of text each pair, the headings dropped
    assert [line[:12] for line in found["en"]] == [
        "A river is a", "Most rivers ", "Some rivers ", "Bread is a s", "The oldest k",
        "A river is a", "Most rivers ",
    ]  # fmt: skip
    for lang in ("zh", "ar"):  # the same articles in the stand-in's words of each script
        assert len(found[lang]) == 7 and found[lang][0] != found["en"][0]
    refused = found["refused"]
    assert "wikimedia/wikipedia (20231101.en)" in refused and "0" * 40 in refused
    assert "\n" not in refused


def test_a_base_without_a_masked_lm_head_is_refused(tmp_path) -> None:
    encoder, _ = load_masked_lm(BASE)
    encoder.save_pretrained(tmp_path / "encoder")  # an encoder alone, as a checkpoint holds it
    with pytest.raises(XstiltsError, match=r"no masked-LM head weights"):
        load_masked_lm(tmp_path / "encoder")


@pytest.fixture(scope="module")
def cotrained(tmp_path_factory) -> dict:
    """`qqp` and `qqp+mlm` trained from the sample encoder, at a learning rate high enough that
    100 steps of QQP alone make the encoder forget much of its masked LM."""
    root = tmp_path_factory.mktemp("cotraining")
    raw = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    raw = deep_update(raw, {
        "data": {"mlm_corpus": {"train_lines": 300, "dev_lines": 50}},
        "intermediate": {"max_steps": 100, "eval_every": 50, "checkpoint_every": 50, "lr": 3e-3},
        "targets": ["xnli"],
        "rsda": {"conditions": []},
    })  # fmt: skip
    raw["conditions"] = {"none": [], "qqp": ["qqp"], "qqp+mlm": ["qqp", MLM_TASK]}
    params = parse_params(raw)
    prepared = root / "prepared"
    prepare(params, prepared, REPO / "data")
    runs = {}
    for condition in ("qqp", "qqp+mlm"):
        out = root / condition
        meta = run_intermediate(params, condition, 0, BASE, prepared, out, root / "state")
        runs[condition] = (out, meta)
    return {"params": params, "prepared": prepared, "runs": runs}


def masked_token_accuracy(checkpoint: Path, prepared: Path, params: Params) -> float:
    """The base model's own masked-LM head read off a checkpoint's encoder, on the corpus's
    dev lines of every language (fixed masks)."""
    model, _, _ = load_checkpoint(checkpoint, "cpu")
    _, lm_head = load_masked_lm(BASE)
    lm_head.decoder.weight = model.encoder.embeddings.word_embeddings.weight  # tied, as trained
    objective = mlm_objective(prepared, load_tokenizer(BASE), params.intermediate)
    correct, total = objective.evaluate(MultiTaskModel(model.encoder, [], lm_head).eval())
    return correct / total


def test_mlm_cotraining_keeps_what_intermediate_training_forgets(cotrained) -> None:
    params, prepared = cotrained["params"], cotrained["prepared"]
    objective = mlm_objective(prepared, load_tokenizer(BASE), params.intermediate)
    encoder, lm_head = load_masked_lm(BASE)
    correct, total = objective.evaluate(MultiTaskModel(encoder, [], lm_head).eval())
    base = correct / total
    alone = masked_token_accuracy(cotrained["runs"]["qqp"][0], prepared, params)
    mixed = masked_token_accuracy(cotrained["runs"]["qqp+mlm"][0], prepared, params)
    # measured: base 0.76, after QQP alone 0.41, after QQP with MLM 0.68
    assert alone < base - 0.15
    assert mixed > alone + 0.15


def test_the_checkpoint_is_chosen_on_the_labelled_tasks_and_saves_no_lm_head(cotrained) -> None:
    out, meta = cotrained["runs"]["qqp+mlm"]
    assert meta["task_steps"][MLM_TASK] > 0 and meta["task_steps"]["qqp"] > 0
    assert 0.5 < meta["dev"][MLM_TASK] <= 1  # logged beside QQP's
    assert meta["dev_mean"] == meta["dev"]["qqp"]  # but only QQP picks the step
    for entry in meta["history"]:
        assert entry["dev_mean"] == entry["dev"]["qqp"]
    assert MLM_TASK not in meta["at_chance"]
    assert meta["train_examples"][MLM_TASK] == 6 * 300  # lines of the six sample languages
    assert all(not key.startswith("lm_head") for key in load_file(out / HEADS_FILE))
    model, _, saved = load_checkpoint(out, "cpu")
    assert model.lm_head is None and set(model.heads) == {"qqp"}
    assert saved["tasks"] == ["qqp", MLM_TASK]


def test_the_demo_says_what_a_masked_lm_condition_trains() -> None:
    mixed = condition_line("multi+mlm", ["qqp", "mnli", "race", MLM_TASK])
    assert "QQP + MNLI + RACE with multilingual masked-LM training mixed in" in mixed
    assert "MLM" not in mixed  # not an English task among the others
    alone = condition_line("mlm", [MLM_TASK])
    assert "continued multilingual masked-LM training" in alone
