"""Seed 003's statistics, checked against numpy on a recorded run."""

import numpy as np
import pytest

from memtop.engine.analysis.stats import rss_statistics, stage_windows
from memtop.engine.store import read_run

from conftest import MIB
from tui_support import run_path


@pytest.mark.parametrize("backend", ["torch", "openvino"])
def test_statistics_agree_with_numpy(backend):
    run = read_run(run_path(backend))
    samples = run.samples()
    stats = rss_statistics(samples, run.stages, run.start)
    t = np.array([s[0] for s in samples])
    v = np.array([s[1] for s in samples], dtype=float) / MIB
    for name, (begin, end) in zip([s["name"] for s in run.stages],
                                  stage_windows(run.stages, run.start), strict=True):
        inside = v[(t > begin) & (t < end)]
        ours = stats["stages"][name]
        if inside.size == 0:
            assert ours is None
            continue
        assert ours["samples"] == inside.size
        assert ours["mean_mb"] == pytest.approx(inside.mean())
        assert ours["max_mb"] == pytest.approx(inside.max())
        assert ours["min_mb"] == pytest.approx(inside.min())
        assert ours["std_mb"] == pytest.approx(inside.std(), abs=1e-9)
        assert ours["median_mb"] == pytest.approx(np.median(inside))
    whole = stats["run"]
    assert whole["mean_mb"] == pytest.approx(v.mean()) and whole["std_mb"] == pytest.approx(v.std())
    assert whole["median_mb"] == pytest.approx(np.median(v))
