"""MemtopCallback in a real Keras fit on the torch backend, under `memtop run`."""

import os
import sys

import pytest

from conftest import HELPERS, needs_backend, run_memtop, show_json


@needs_backend("torch")
@pytest.mark.backend
def test_fit_evaluate_predict_become_stages(runs_dir):
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--", sys.executable,
                        str(HELPERS / "keras_fit.py"), env={"KERAS_BACKEND": "torch"},
                        timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    run = show_json(runs_dir)
    names = [s["name"] for s in run["stages"]]
    for expected in ("train/epoch_1", "train/epoch_2", "train", "test", "predict",
                     "train/batch_2", "train/batch_4"):
        assert expected in names, names
    assert names.index("train/epoch_2") < names.index("train") < names.index("test")
    assert all(s["peak_exact"] for s in run["stages"])
    assert os.path.exists(run["path"])
