"""Statistics kept while the run goes equal those computed from the run's samples afterwards,
with stage boundaries told late (as the session's events come after the sampler's readings),
blocks nested in stages, and samples at the very time of a boundary."""

from __future__ import annotations

import random

import pytest

from memtop.engine.analysis.running_stats import RAW_TAIL_S, RunningStats
from memtop.engine.analysis.stats import rss_statistics


def _run(seed: int, seconds: float) -> tuple[list[tuple[float, int]], list[dict]]:
    rng = random.Random(seed)
    samples, t = [], 10.0
    while t < 10.0 + seconds:
        samples.append((round(t, 6), 4096 * rng.randrange(1000, 1100)))
        t += 0.005 if rng.random() < 0.9 else 0.5
    stages, previous = [], 10.0
    for i in range(12):
        begin = previous + rng.uniform(0, seconds / 20)
        end = begin + rng.uniform(0.01, seconds / 15)
        if i % 4 == 3:  # a sample exactly at the boundary's time
            end = samples[min(len(samples) - 1, int((end - 10.0) / seconds * len(samples)))][0]
        stage = {"name": f"s{i}", "t": end, "t_end": end + rng.uniform(0, 0.02)}
        if i % 3 == 1:
            stage["t_start"] = begin  # a block: from its own begin
        stages.append(stage)
        previous = stage["t_end"]
    return samples, stages


@pytest.mark.parametrize("seed", range(6))
def test_running_statistics_equal_those_read_back(seed):
    seconds = 3 * RAW_TAIL_S * (1 + seed % 3)  # long enough to seal segments
    samples, stages = _run(seed, seconds)
    running = RunningStats(10.0)
    told: list[tuple[float, float]] = []  # (when it is told, boundary time)
    rng = random.Random(seed)
    for stage in stages:
        for key in ("t_start", "t", "t_end"):
            if key in stage:
                told.append((stage[key] + rng.uniform(0, 2.0), stage[key]))
    told.sort()
    for i in range(0, len(samples), 20):  # a pump's worth at a time
        batch = samples[i:i + 20]
        while told and told[0][0] <= batch[-1][0]:
            running.boundary(told.pop(0)[1])
        running.add([t for t, _ in batch], [v for _, v in batch])
    for _, t in told:
        running.boundary(t)
    assert running.result(stages, 10.0) == rss_statistics(samples, stages, 10.0)


def test_memory_is_a_counter_a_boundary_not_a_sample():
    running = RunningStats(0.0)
    for second in range(3600):
        running.add([second + (i + 1) / 200 for i in range(200)],
                    [4096 * (i % 50) for i in range(200)])
    assert len(running._times) <= 2 * RAW_TAIL_S * 200 + 200
    assert len(running._segments) == 1  # no boundary since the start: one counter
