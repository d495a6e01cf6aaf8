"""MemtopCallback in a real Keras training script (validation data, 3 epochs, a mark every 2
batches) under `memtop run`, on torch and on JAX: the tree of stages, exact peaks of a known
allocation inside one occurrence, a failed fit, and runs compared occurrence by occurrence."""

import itertools
import json
import sys

import pytest

from conftest import HELPERS, needs_backend, run_memtop, show_json

SCRIPT = str(HELPERS / "keras_train.py")
SPIKE_MIB = 160


def train(runs_dir, backend: str, **env: str):
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--", sys.executable,
                        SCRIPT, env={"KERAS_BACKEND": backend, **env}, timeout=300)
    return result, show_json(runs_dir)


@pytest.mark.backend
@pytest.mark.parametrize("backend", [pytest.param("torch", marks=needs_backend("torch")),
                                     pytest.param("jax", marks=needs_backend("jax"))])
def test_fit_is_a_tree_of_epochs_batches_and_validation(tmp_path, backend):
    result, run = train(tmp_path, backend, SPIKE_MIB=str(SPIKE_MIB))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    stages = {s["key"]: s for s in run["stages"]}
    # fit > epoch #1..#3 > batch #1, #2 (64 samples, batch 16: 4 batches, a mark every 2)
    # and evaluate (validation, inside its epoch); then evaluate and predict at the top.
    expected = {"fit", "evaluate", "predict",
                *(f"fit/{e}" for e in ("epoch", "epoch#2", "epoch#3")),
                *(f"fit/{e}/{c}" for e in ("epoch", "epoch#2", "epoch#3")
                  for c in ("batch", "batch#2", "evaluate"))}
    assert set(stages) == expected, sorted(stages)
    assert stages["fit/epoch#2"]["parent"] == "fit" and stages["fit/epoch#2"]["occurrence"] == 2
    assert stages["fit/epoch#3/evaluate"]["parent"] == "fit/epoch#3"
    assert stages["evaluate"]["parent"] is None and stages["predict"]["depth"] == 0
    for stage in stages.values():
        assert stage["duration_s"] is None or stage["duration_s"] >= 0, stage["key"]
        assert stage["peak_exact"], stage["key"]
        if stage["parent"] is not None:  # inside its block, never across an edge
            parent = stages[stage["parent"]]
            assert parent["t_start"] <= stage["t_start"] and stage["t"] <= parent["t"]
    for block in ("fit", "fit/epoch", "fit/epoch#2", "fit/epoch#3"):
        inside = [s["duration_s"] for s in stages.values() if s["parent"] == block]
        assert sum(inside) <= stages[block]["duration_s"] + 1e-6
    # The known allocation: 160 MiB held for one validation batch of epoch 2 only.
    spiked = stages["fit/epoch#2/evaluate"]
    above_start = spiked["peak_mb"] - (spiked["rss_mb"] - spiked["rss_change_mb"])
    assert SPIKE_MIB * 0.98 <= above_start <= SPIKE_MIB * 1.02 + 2, above_start
    for other in ("fit/epoch/evaluate", "fit/epoch#3/evaluate"):
        quiet = stages[other]
        assert quiet["peak_mb"] - (quiet["rss_mb"] - quiet["rss_change_mb"]) < 32, other
    assert_trace_nests(run["path"], tmp_path / "trace.json", len(stages))


def assert_trace_nests(run_path: str, out, count: int) -> None:
    """The Perfetto export: a slice per stage, each inside its parent's, siblings apart."""
    result = run_memtop("export", run_path, "-o", str(out))
    assert result.returncode == 0, result.stderr
    slices = [e for e in json.loads(out.read_text())["traceEvents"]
              if e["ph"] == "X" and e.get("cat") == "stage"]
    assert len(slices) == count
    by_key = {e["args"]["key"]: e for e in slices}
    for e in slices:
        parent = by_key.get(e["args"]["parent"]) if e["args"]["parent"] else None
        if parent is not None:
            assert parent["ts"] <= e["ts"] and e["ts"] + e["dur"] <= parent["ts"] + parent["dur"]
        siblings = sorted((s for s in slices if s["args"]["parent"] == e["args"]["parent"]),
                          key=lambda s: s["ts"])
        for a, b in itertools.pairwise(siblings):
            assert a["ts"] + a["dur"] <= b["ts"], (a["args"]["key"], b["args"]["key"])


@needs_backend("torch")
@pytest.mark.backend
def test_a_fit_that_raises_closes_its_blocks_failed(tmp_path):
    result, run = train(tmp_path, "torch", RAISE_AT_EPOCH="2")
    assert result.returncode == 1  # the program's own exit code
    stages = {s["key"]: s for s in run["stages"]}
    assert stages["fit/epoch#2"]["error"] == "RuntimeError"
    assert stages["fit"]["error"] == "RuntimeError"
    assert stages["fit/epoch"].get("error") is None
    assert "fit/epoch#3" not in stages


@needs_backend("torch")
@pytest.mark.backend
def test_a_fit_that_raised_and_was_caught_ends_at_the_next_fit(tmp_path):
    result, run = train(tmp_path, "torch", RAISE_AT_EPOCH="2", CATCH="1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    stages = {s["key"]: s for s in run["stages"]}
    assert stages["fit"]["error"] == "did not end" == stages["fit/epoch#2"]["error"]
    assert stages["fit#2"].get("error") is None and stages["fit#2/epoch"]["parent"] == "fit#2"
    assert stages["fit"]["t"] <= stages["fit#2"]["t_start"]


@needs_backend("torch")
@pytest.mark.backend
def test_initial_epoch_steps_per_epoch_and_early_stopping(tmp_path):
    result, run = train(tmp_path, "torch", SHORT="1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    stages = {s["key"]: s for s in run["stages"]}
    epochs = [s for s in run["stages"] if s["path"] == "fit/epoch"]
    # Keras's epochs 2 and 3 (initial_epoch=1), the second cut short after one batch.
    assert [e["values"]["epoch"] for e in epochs] == [2, 3]
    assert "fit/epoch#3" not in stages
    assert "fit/epoch/batch" in stages and "fit/epoch#2/batch" not in stages  # 3 steps; 1
    assert stages["fit/epoch#2/evaluate"]["parent"] == "fit/epoch#2"
    assert all(s.get("error") is None for s in run["stages"])


@needs_backend("torch")
@pytest.mark.backend
def test_diff_and_check_compare_each_occurrence(tmp_path):
    base_result, base = train(tmp_path / "a", "torch")
    new_result, new = train(tmp_path / "b", "torch", SPIKE_MIB=str(SPIKE_MIB))
    assert base_result.returncode == 0 and new_result.returncode == 0
    # Folded by default: one row per stage path, with counts.
    table = run_memtop("diff", base["path"], new["path"], "--format", "markdown")
    assert table.returncode == 0, table.stderr
    assert "evaluate ×3" in table.stdout and "batch ×6" in table.stdout
    for run in (base, new):  # each run named by its command, id and start
        assert run["run_id"] in table.stdout
    assert "keras_train.py" in table.stdout and "started 20" in table.stdout
    # Unfolded: one row per occurrence, epoch 2's validation its own row.
    unfolded = run_memtop("diff", base["path"], new["path"], "--format", "markdown",
                          "--unfold")
    assert unfolded.stdout.count("evaluate") >= 4  # three in fit, one at the top, per table
    # The regression is in epoch 2's validation only, and check names that occurrence.
    check = run_memtop("check", new["path"], "--baseline", base["path"],
                       "--max-regression", "25%")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "fit/epoch#2/evaluate peak" in check.stdout
    assert "fit/epoch#3/evaluate peak" not in check.stdout
    budget = run_memtop("check", new["path"], "--max-stage-peak", "evaluate=100GiB")
    assert budget.returncode == 0 and "all 4 occurrences" in budget.stdout
