"""Freed but kept (issue #17): glibc's heap at every cut (in use, held free), the leak verdict
that tells allocator retention from a leak, and --trim with how much RSS came back. Real
programs (tests/helpers/fragments.py, through libc's malloc) under `memtop run`."""

import sys

import pytest

from conftest import HELPERS, run_memtop, show_json


def fragments(runs_dir, mode: str, *options: str) -> dict:
    result = run_memtop("run", "--no-tui", *options, "--runs-dir", str(runs_dir), "--",
                        sys.executable, str(HELPERS / "fragments.py"), mode)
    assert result.returncode == 0, result.stderr[-2000:]
    return show_json(runs_dir)


def test_a_freed_fragmented_heap_reads_as_retention_and_a_real_leak_as_a_leak(runs_dir):
    retained = fragments(runs_dir / "retain", "retain")
    leak = retained["leak"]
    assert leak["verdict"] == "allocator retention"
    assert leak["slope_mb_per_iter"] == pytest.approx(10, rel=0.2)  # RSS does grow
    assert abs(leak["heap_in_use_slope_mb_per_iter"]) < 0.1
    assert leak["heap_free_slope_mb_per_iter"] == pytest.approx(10, rel=0.2)
    work = next(s for s in retained["stages"] if s["name"] == "work")
    assert work["heap_free_mb"] > 60 and work["heap_in_use_mb"] < 20  # held, not in use
    assert work["trimmed_mb"] is None  # not asked to trim

    leaking = fragments(runs_dir / "leak", "leak")["leak"]
    assert leaking["verdict"] == "leak"
    assert leaking["heap_in_use_slope_mb_per_iter"] == pytest.approx(10, rel=0.1)


def test_trim_gives_the_held_memory_back_and_the_next_stage_starts_after_it(runs_dir):
    run = fragments(runs_dir, "retain", "--trim")
    stages = {s["name"]: s for s in run["stages"]}
    assert stages["work"]["trimmed_mb"] > 60  # what malloc_trim(0) gave back
    assert stages["after"]["rss_mb"] < stages["work"]["rss_mb"] - 60
    assert abs(stages["after"]["rss_change_mb"]) < 5  # from after the trim, not before it
    table = run_memtop("show", run["run_id"], "--runs-dir", str(runs_dir)).stdout
    assert "Trimmed" in table and "allocator retention" in table
