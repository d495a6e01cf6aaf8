"""The whole path on every installed backend: session -> engine -> pipe -> run file -> show.

Each test runs the real `memtop bench` on memtop's tiny GPT-2 (2 layers, hidden 64).
"""

import json
import os
import subprocess
import sys

import pytest

from memtop.engine.backends import BACKENDS
from memtop.engine.probes.procfs import RSS_COUNTER_SLACK
from memtop.engine.spec import STAGES, TRAINING_STAGES

from conftest import HELPERS, MIB, needs_backend, run_memtop, show_json

pytestmark = pytest.mark.backend


def bench(runs_dir, *args: str) -> dict:
    result = run_memtop("bench", "--model", "gpt2_tiny", "--no-tui", "--runs-dir",
                        str(runs_dir), *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "\nmemtop bench" in result.stdout  # the table starts on a line of its own
    return show_json(runs_dir)


@pytest.mark.parametrize("backend", [pytest.param(b, marks=needs_backend(b)) for b in BACKENDS])
def test_tiny_gpt2_on_each_backend(backend, runs_dir, tmp_path):
    summary_path = tmp_path / "summary.json"
    run = bench(runs_dir, "--backend", backend, "--json-summary", str(summary_path))
    assert json.loads(summary_path.read_text())["runs"] == [run]
    assert run["backend"] == backend and run["status"] == "done"
    assert [s["name"] for s in run["stages"]] == list(STAGES)
    assert run["weights"] == "random"
    assert run["summary"]["model_loading_mb"] > 0
    for stage in run["stages"]:
        if stage["name"].endswith("_inference") and stage["name"] != "before_inference":
            assert stage["tokens_generated"] > 0 and stage["latency_s"] > 0
        assert stage["peak_exact"]
        if stage["sampled_peak_mb"] is not None:
            assert stage["sampled_peak_mb"] <= stage["kernel_peak_mb"] + RSS_COUNTER_SLACK / MIB
    assert run["versions"][backend]
    assert run["summary"]["health"] in ("good", "acceptable", "high", "critical")


@needs_backend("torch")
def test_isolate_keeps_foreign_frameworks_out_of_a_torch_session(runs_dir):
    plain = bench(runs_dir, "--backend", "torch")
    expected = {b for b in ("tensorflow", "jax") if b in sys.modules or _installed(b)}
    assert expected <= set(plain["foreign_frameworks"])
    isolated = bench(runs_dir, "--backend", "torch", "--isolate")
    assert isolated["isolated"] and isolated["foreign_frameworks"] == []
    assert isolated["status"] == "done"
    initial = {r["run_id"]: r["stages"][0]["rss_mb"] for r in (plain, isolated)}
    assert initial[isolated["run_id"]] < initial[plain["run_id"]] - 100
    assert isolated["summary"]["peak_mb"] < plain["summary"]["peak_mb"]


def _installed(name: str) -> bool:
    from memtop.engine.backends import is_installed

    return is_installed(name)


@needs_backend("torch")
def test_local_preset_directory_loads_through_from_preset(tmp_path, runs_dir):
    preset = tmp_path / "tiny_preset"
    subprocess.run([sys.executable, str(HELPERS / "save_tiny_preset.py"), str(preset)],
                   check=True, capture_output=True, env={**os.environ, "KERAS_BACKEND": "torch"})
    run = bench(runs_dir, "--backend", "torch", "--model", str(preset))
    assert run["weights"] == "preset" and run["weights_note"] == "local preset directory"
    assert run["status"] == "done" and run["stages"][-1]["name"] == "final"


@needs_backend("torch")
@pytest.mark.parametrize(("model", "weights", "fragment"), [
    ("gpt2_nonexistent_en", "auto", "unknown preset 'gpt2_nonexistent_en'"),
    ("gpt2_medium_en", "preset", "could not be downloaded"),
])
def test_unavailable_presets_are_one_line_errors(model, weights, fragment, runs_dir):
    result = run_memtop("bench", "--backend", "torch", "--model", model, "--weights", weights,
                        "--no-tui", "--runs-dir", str(runs_dir))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr


@needs_backend("torch")
def test_tiny_gpt2_has_no_significant_leak(runs_dir):
    run = bench(runs_dir, "--backend", "torch", "--leak-iterations", "6")
    assert [s["name"] for s in run["stages"]][-2:] == ["leak_iterations", "final"]
    assert run["leak"]["iterations"] == 6
    assert run["leak"]["verdict"] == "no significant leak", run["leak"]


@needs_backend("torch")
def test_batch_sweep_runs_one_session_per_size(runs_dir):
    result = run_memtop("bench", "--backend", "torch", "--model", "gpt2_tiny", "--batch-size",
                        "1,4", "--no-tui", "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stderr
    assert "by batch size" in result.stdout and "torch b4" in result.stdout
    runs = [show_json(runs_dir, p.stem) for p in sorted(runs_dir.glob("*.db"))]
    assert sorted(r["batch_size"] for r in runs) == [1, 4]
    by_size = {r["batch_size"]: r for r in runs}
    # The session really generated for four prompts at once (random weights may stop a
    # sequence early at the end token, so token counts are not compared).
    first = {size: next(s for s in r["stages"] if s["name"] == "first_inference")
             for size, r in by_size.items()}
    assert first[4]["batch_size"] == 4 and first[1]["batch_size"] == 1
    assert first[4]["tokens_generated"] > 0


@pytest.mark.parametrize("backend", [pytest.param(b, marks=needs_backend(b))
                                     for b in ("torch", "tensorflow", "jax")])
def test_training_mode(backend, runs_dir):
    run = bench(runs_dir, "--backend", backend, "--mode", "training", "--training-steps", "2")
    assert [s["name"] for s in run["stages"]] == list(TRAINING_STAGES)
    assert run["mode"] == "training" and run["summary"]["latency_first_s"] > 0
    assert run["summary"]["compilation_mb"] is not None


@needs_backend("torch")
def test_precision_and_allocator_settings_show_in_the_diff(runs_dir):
    plain = bench(runs_dir, "--backend", "torch")
    half = bench(runs_dir, "--backend", "torch", "--dtype", "bfloat16", "--env",
                 "MALLOC_ARENA_MAX=2")
    assert half["dtype"] == "bfloat16" and half["status"] == "done"
    assert half["allocator_settings"]["MALLOC_ARENA_MAX"] == "2"
    result = run_memtop("diff", plain["path"], half["path"], "--format", "json")
    settings = {r["key"]: tuple(r["values"]) for r in json.loads(result.stdout)["settings"]}
    assert settings["dtype"] == ("float32", "bfloat16")
    assert settings["env MALLOC_ARENA_MAX"] == (None, "2")
