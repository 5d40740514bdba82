"""The multi-task sampler: proportions, strategies, seeding and state round trips."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from xstilts.training.batches import BatchStream
from xstilts.training.task_sampler import MultiTaskSampler, task_probabilities

SIZES = {"qqp": 363_846, "mnli": 392_702, "race": 87_866}


def test_proportional_matches_jiant_mix() -> None:
    """QQP+MNLI+RACE proportional sampling: about 43% / 47% / 10% (their training sizes)."""
    p = task_probabilities(SIZES, "proportional")
    assert p["qqp"] == pytest.approx(0.43, abs=0.01)
    assert p["mnli"] == pytest.approx(0.47, abs=0.01)
    assert p["race"] == pytest.approx(0.10, abs=0.01)


def test_temperature_flattens_and_cap_limits() -> None:
    hot = task_probabilities(SIZES, "temperature", temperature=4.0)
    assert hot["race"] > task_probabilities(SIZES, "proportional")["race"]
    assert task_probabilities(SIZES, "temperature", temperature=1.0) == pytest.approx(
        task_probabilities(SIZES, "proportional")
    )
    capped = task_probabilities(SIZES, "capped", cap=100_000)
    assert capped["qqp"] == capped["mnli"] > capped["race"]
    assert list(task_probabilities(SIZES, "uniform").values()) == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match="cap"):
        task_probabilities(SIZES, "capped")


def test_draws_follow_the_probabilities() -> None:
    sampler = MultiTaskSampler(SIZES, seed=0)
    counts = Counter(sampler.next_task() for _ in range(20_000))
    for task, p in sampler.probabilities.items():
        assert counts[task] / 20_000 == pytest.approx(p, abs=0.015)
    assert sampler.counts == dict(counts)


def test_seeded() -> None:
    draws = [[MultiTaskSampler(SIZES, seed=s).next_task() for _ in range(50)] for s in (1, 1, 2)]
    assert draws[0] == draws[1] != draws[2]


def test_state_round_trips_through_json() -> None:
    sampler = MultiTaskSampler(SIZES, seed=3)
    for _ in range(37):
        sampler.next_task()
    state = json.loads(json.dumps(sampler.state_dict()))
    expected = [sampler.next_task() for _ in range(100)]
    resumed = MultiTaskSampler(SIZES, seed=3)
    resumed.load_state_dict(state)
    assert [resumed.next_task() for _ in range(100)] == expected
    assert resumed.counts == sampler.counts


def test_batch_stream_covers_each_epoch_and_resumes() -> None:
    stream = BatchStream(10, 4, seed=0, name="t")
    epoch = stream.next_indices() + stream.next_indices() + stream.next_indices()
    assert sorted(epoch) == list(range(10)) and stream.epoch == 1
    state = json.loads(json.dumps(stream.state_dict()))
    expected = [stream.next_indices() for _ in range(5)]
    resumed = BatchStream(10, 4, seed=0, name="t")
    resumed.load_state_dict(state)
    assert [resumed.next_indices() for _ in range(5)] == expected
