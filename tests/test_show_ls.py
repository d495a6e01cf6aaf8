"""`memtop show` and `memtop ls` on a run file written by the real writer."""

import json
import sys

from conftest import memtop_here, run_memtop, write_run


def test_show_prints_the_stage_table_and_summary(runs_dir):
    write_run(runs_dir / "20260101-000000-torch-x-abcd.db", "20260101-000000-torch-x-abcd")
    result = memtop_here("show", "latest", "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stderr
    for text in ("initial", "model_loaded", "Peak kernel", "Peak sampled", "Model loading (MiB)",
                 "50.0"):  # model loading: 150 - 100 MiB
        assert text in result.stdout


def test_show_json_fields(runs_dir):
    write_run(runs_dir / "r.db", "r")
    data = json.loads(memtop_here("show", "r", "--format", "json", "--runs-dir",
                                 str(runs_dir)).stdout)
    for key in ("run_id", "backend", "model", "weights", "status", "foreign_frameworks",
                "stages", "summary"):
        assert key in data
    for key in ("name", "rss_mb", "swap_mb", "peak_mb", "sampled_peak_mb", "duration_s"):
        assert key in data["stages"][1]
    for key in ("model_loading_mb", "compilation_mb", "peak_mb", "peak_above_initial_mb",
                "swap_peak_mb", "growth_mb", "latency_first_s", "latency_second_s", "speedup",
                "tokens_per_s", "health"):
        assert key in data["summary"]
    assert data["summary"]["model_loading_mb"] == 50
    assert data["stages"][1]["peak_mb"] == 160


def test_ls_lists_runs_and_flags_unreadable_files(runs_dir):
    write_run(runs_dir / "good.db", "good-run")
    (runs_dir / "broken.db").write_text("nope")
    result = memtop_here("ls", "--runs-dir", str(runs_dir))
    assert result.returncode == 0
    assert "good-run" in result.stdout and "unreadable" in result.stdout


def test_ls_on_an_empty_directory(runs_dir):
    result = run_memtop("ls", "--runs-dir", str(runs_dir))
    assert result.returncode == 0 and "no run files in" in result.stdout


def test_a_tree_of_processes_says_that_shared_pages_are_counted_in_each(tmp_path):
    program = ("import multiprocessing as mp, time\n"
               "if __name__ == '__main__':\n"
               "    workers = [mp.Process(target=time.sleep, args=(1.5,)) for _ in range(3)]\n"
               "    [w.start() for w in workers]\n"
               "    [w.join() for w in workers]\n")
    script = tmp_path / "forks.py"
    script.write_text(program)
    result = run_memtop("run", "--no-tui", "--runs-dir", str(tmp_path / "runs"), "--",
                        sys.executable, str(script))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "RSS sums" in result.stderr and "counted in each" in result.stderr
    single = run_memtop("run", "--no-tui", "--runs-dir", str(tmp_path / "runs"), "--",
                        sys.executable, "-c", "import time; time.sleep(0.5)")
    assert single.returncode == 0 and "RSS sums" not in single.stderr
