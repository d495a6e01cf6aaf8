"""`memtop fit` with real sessions: the largest batch within a budget is the one a scan of every
batch size finds (both measured here, on a model whose memory grows by about 96 MiB a sample),
the fit is a run file that `show` prints again, and a trial the kernel OOM-kills in its memory
cgroup reads "does not fit (OOM)"."""

import json

import pytest

from memtop.engine.backends import BACKENDS, is_installed

from conftest import HELPERS, MIB, run_memtop, show_json

pytestmark = pytest.mark.backend
BACKEND = next((b for b in ("torch", "jax", "tensorflow") if is_installed(b)), BACKENDS[0])
WIDE = f"{HELPERS / 'tiny_factory.py'}:build_wide"


def test_fit_finds_what_a_scan_of_every_batch_size_finds(runs_dir, tmp_path):
    summary = tmp_path / "scan.json"
    scan = run_memtop("bench", "--backend", BACKEND, "--model", WIDE, "--batch-size",
                      "1,2,3,4,5,6,7,8", "--no-tui", "--runs-dir", str(runs_dir / "scan"),
                      "--json-summary", str(summary))
    assert scan.returncode == 0, scan.stderr[-2000:]
    peaks = {r["batch_size"]: r["summary"]["peak_mb"]
             for r in json.loads(summary.read_text())["runs"]}
    assert peaks[8] > peaks[1] + 300  # memory grows with the batch
    budget = (peaks[4] + peaks[5]) / 2  # between two sizes: which one is the answer
    expected = max(size for size, peak in peaks.items() if peak <= budget)

    result = run_memtop("fit", "--backend", BACKEND, "--model", WIDE, "--budget",
                        f"{budget:.0f}MiB", "--max-size", "8", "--predict", "4GiB",
                        "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    fit = show_json(runs_dir)  # the newest run file: the fit
    assert fit["kind"] == "fit"
    [answer] = fit["fit"]["results"]
    assert answer["largest"] == expected
    assert answer["line"]["per_unit_mib"] > 0
    trials = {t["size"]: t for t in answer["trials"]}
    assert trials[expected]["fits"] and not trials[expected + 1]["fits"]
    assert len(trials) < 8  # fewer trials than the scan
    table = run_memtop("show", "latest", "--runs-dir", str(runs_dir))
    assert table.returncode == 0 and "Largest batch" in table.stdout
    assert f"{expected}" in table.stdout
    both = run_memtop("diff", fit["run_id"], fit["run_id"], "--runs-dir", str(runs_dir))
    assert both.returncode == 0
    # The two cells of the backend's row (a column's header holds a run id, which may end in
    # the same digit before its " (").
    cells = [line for line in both.stdout.splitlines() if "MiB)" in line and
             line.startswith("│")]  # rows, not the headers' budgets (MiB too)
    assert len(cells) == 1 and cells[0].count(f"{expected} (") == 2, both.stdout
    mixed = run_memtop("diff", fit["run_id"], trials[1]["run_id"], "--runs-dir", str(runs_dir))
    assert mixed.returncode == 2 and "a fit compares with fits only" in mixed.stderr


def test_a_trial_killed_in_its_memory_cgroup_does_not_fit(runs_dir):
    result = run_memtop("fit", "--backend", BACKEND, "--model",
                        f"{HELPERS / 'tiny_factory.py'}:build_wider", "--budget", "1200MiB",
                        "--max-size", "4", "--runs-dir", str(runs_dir))
    assert result.returncode == 1  # no size fits: not a success
    fit = show_json(runs_dir)
    [answer] = fit["fit"]["results"]
    [trial] = answer["trials"]
    if trial["limit"] is None:
        pytest.skip("no writable memory cgroup here: judged by peak only")
    assert trial["verdict"] == "does not fit (OOM)" and answer["largest"] is None
    assert "does not fit (OOM)" in result.stdout
    killed = show_json(runs_dir, trial["run_id"])
    assert killed["status"] == "killed" and "OOM" in killed["cause"]
    assert killed["memory_limit"]["bytes"] == 1200 * MIB


def test_a_crafted_fit_file_is_shown_as_data(runs_dir):
    """A fit's results come from a run file, which may come from anyone: wrong types are left
    out, and escape sequences in a backend's name or a note are shown, never sent."""
    from untrusted_files import HOSTILE

    from conftest import write_run

    fit = {"axis": "batch", "budget": "lots", "predict": ["x", 2**30], "results": [
        "not a result", {"backend": HOSTILE, "largest": "8", "line": {"fixed_mib": "a"},
                         "trials": [{"verdict": HOSTILE, "limit": HOSTILE}, 3],
                         "stopped": HOSTILE},
        {"backend": "torch", "largest": 4, "peak_mib": 1500.0,
         "line": {"fixed_mib": 1000.0, "per_unit_mib": 100.0}, "trials": []}]}
    write_run(runs_dir / "crafted.db", run_id="crafted", meta={"kind": "fit", "fit": fit})
    for args in (("show", "crafted"), ("diff", "crafted", "crafted")):
        result = run_memtop(*args, "--runs-dir", str(runs_dir))
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "\x1b]" not in result.stdout
        assert "1,500" in result.stdout  # torch's row stays
    # The axis is in the title and a header: text too (as markup, "[/x]" stopped `show`).
    write_run(runs_dir / "axis.db", run_id="axis", meta={"kind": "fit", "fit": {**fit,
                                                                               "axis": HOSTILE}})
    for args in (("show", "axis"), ("diff", "axis", "axis")):
        result = run_memtop(*args, "--runs-dir", str(runs_dir))
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "\x1b]" not in result.stdout
        assert "[link=file:///etc/passwd]" in result.stdout  # shown as it is, not acted on


def test_the_sequence_axis_grows_the_tokens_of_each_trial(runs_dir):
    result = run_memtop("fit", "--backend", BACKEND, "--model", "gpt2_tiny", "--weights",
                        "random", "--axis", "sequence", "--budget", "3GiB", "--max-size", "8",
                        "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Largest sequence" in result.stdout and "MiB per token" in result.stdout
    fit = show_json(runs_dir)
    [answer] = fit["fit"]["results"]
    assert fit["fit"]["axis"] == "sequence" and answer["largest"] == 8
    for trial in answer["trials"]:  # each trial ran with its size as its sequence length
        ran = show_json(runs_dir, trial["run_id"])
        assert ran["sequence_length"] == ran["max_length"] == trial["size"]
        assert ran["batch_size"] == 1
    assert [t["size"] for t in answer["trials"]] == [1, 2, 4, 8]
