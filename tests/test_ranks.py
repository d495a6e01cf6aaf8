"""Every rank of a multi-process job on its own: a real `torchrun --nproc_per_node=2` (CPU,
gloo) DDP training run under `memtop run`, each rank holding a different known block in one
stage; its live lines, its stages by rank in `show` and `diff`, the drift alarm."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from memtop.engine import messages
from memtop.engine.analysis.alarms import AlarmWatch
from memtop.engine.analysis.stage_rows import stage_rows, table_rows
from memtop.engine.client import RunBoard
from memtop.engine.probes.ranks import rank_name
from memtop.tui.render import process_lines

from conftest import MIB, needs_backend, run_memtop, show_json

EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "ddp_tiny.py")


def torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", EXAMPLE, *args]


def _hold_growth(run: dict, worker: str) -> float:
    """How far the rank's peak in `hold` rose above its RSS at the block's start (MiB)."""
    stage = next(s for s in run["stages"] if s["name"] == "hold" and s["worker"] == worker)
    return stage["peak_mb"] - (stage["rss_mb"] - stage["rss_change_mb"])


@needs_backend("torch")
def test_each_rank_of_a_torchrun_job_has_its_own_exact_stage_peaks(runs_dir: Path) -> None:
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        *torchrun("--blocks", "64,160"), timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    run = show_json(runs_dir)
    by_rank = {(s["worker"], s["name"]) for s in run["stages"]}
    assert by_rank == {(r, n) for r in ("rank 0", "rank 1") for n in ("build", "train", "hold")}
    assert _hold_growth(run, "rank 0") == pytest.approx(64, abs=2)
    assert _hold_growth(run, "rank 1") == pytest.approx(160, abs=2)
    processes = {p["name"]: p for p in run["processes"]}
    assert {"rank 0", "rank 1"} <= set(processes)
    launcher = [name for name in processes if not name.startswith("rank")]
    assert len(launcher) == 1 and launcher[0].startswith("pid ")  # pid and command: the
    assert launcher[0].endswith(" torch.distributed.run")  # module python -m runs
    for rank in ("rank 0", "rank 1"):  # a rank's peak is at least its highest stage's
        highest = max(s["peak_mb"] for s in run["stages"] if s["worker"] == rank)
        assert processes[rank]["peak"] / MIB >= highest - 0.01
    assert "rank 1 · hold" in result.stderr and "Processes" in result.stderr  # tables: stderr


@needs_backend("torch")
def test_diff_compares_rank_by_rank(runs_dir: Path) -> None:
    for blocks in ("64,160", "64,320"):
        result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                            *torchrun("--blocks", blocks), timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
    older, newer = sorted(runs_dir.glob("*.db"))
    result = run_memtop("diff", str(older), str(newer), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["stages"]}
    assert rows["rank 1 · hold"]["d_peak_mb"][1] == pytest.approx(160, abs=4)
    assert abs(rows["rank 0 · hold"]["d_peak_mb"][1]) < 4


@needs_backend("torch")
async def test_the_card_shows_a_line_per_rank_live_and_the_drift_alarm(runs_dir: Path) -> None:
    from memtop.engine.client import LiveSource
    from memtop.engine.spec import RunSpec
    from memtop.tui.app import MemtopApp
    from memtop.tui.widgets.run_card import RunCard

    from tui_support import wait_until

    spec = RunSpec(backend="", model="ddp_tiny", runs_dir=str(runs_dir),
                   command=torchrun("--blocks", "64,400", "--hold-seconds", "3"))
    source = LiveSource([spec])
    app = MemtopApp(start="dashboard", source=source)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 1)
            card = app.screen.query_one(RunCard)
            await wait_until(pilot, lambda: sum(w["name"].startswith("rank")
                                                for w in card.state.workers) == 2, timeout=60)
            await pilot.pause(0.5)
            drawn = "\n".join(line.plain for line in card.render().renderables)
            assert "rank 0" in drawn and "rank 1" in drawn
            await wait_until(pilot, lambda: any(a["kind"] == "rank_drift"
                                                for a in card.state.alarms), timeout=60)
            banner = app.screen.query_one("#banner")  # says which run: a program has no backend
            # The run is named by its command (issue #25): a program has no backend.
            await wait_until(pilot, lambda: "torch.distributed.run" in str(banner.render())
                             and "ranks drift apart: rank 1 holds" in str(banner.render()))
            await wait_until(pilot, lambda: card.state.status == "done", timeout=60)
    finally:
        app.close_sources()
    drift = next(a for a in card.state.alarms if a["kind"] == "rank_drift")
    assert "rank 1 holds" in drift["message"] and "rank 0" in drift["message"]


def test_ranks_are_named_by_their_launchers_variables() -> None:
    assert rank_name({"RANK": "3", "LOCAL_RANK": "1"}) == "rank 3"
    assert rank_name({"LOCAL_RANK": "1"}) == "local rank 1"
    assert rank_name({"OMPI_COMM_WORLD_RANK": "2"}) == "rank 2"
    assert rank_name({"RANK": "x"}) is None and rank_name({}) is None


def test_drift_alarm_needs_both_a_share_and_a_floor() -> None:
    def rows(*mib: float) -> list[dict]:
        return [{"name": f"rank {i}", "rss": int(m * MIB), "peak": int(m * MIB)}
                for i, m in enumerate(mib)]

    assert AlarmWatch().on_workers(1.0, rows(1000, 1200)) == []  # 17%: within 25%
    assert AlarmWatch().on_workers(1.0, rows(100, 150)) == []  # 33%, but only 50 MiB
    watch = AlarmWatch()
    alarms = watch.on_workers(1.0, rows(1000, 1500, 1100))
    assert [a["kind"] for a in alarms] == ["rank_drift"]
    assert "rank 1 holds 1,500 MiB, rank 0 1,000 MiB (33% of the larger)" in alarms[0]["message"]
    assert watch.on_workers(2.0, rows(1000, 1600)) == []  # said once
    others = [{"name": "pid 9 loader", "rss": 10 * MIB, "peak": 10 * MIB},
              {"name": "rank 0", "rss": 900 * MIB, "peak": 900 * MIB}]
    assert AlarmWatch().on_workers(1.0, others) == []  # one rank: nothing to drift from


def test_a_ranks_stages_are_its_own_sequence() -> None:
    def stage(name: str, t: float, rss: int, worker: str | None = None) -> dict:
        found = {"name": name, "t": t, "t_end": t, "rss": rss * MIB, "swap": 0,
                 "peak": rss * MIB}
        return {**found, "worker": worker} if worker else found

    stages = [stage("a", 1, 100), stage("a", 1.1, 300, "rank 1"), stage("a", 1.2, 200, "rank 0"),
              stage("b", 2, 150), stage("b", 2.1, 350, "rank 1"), stage("b", 2.2, 260, "rank 0")]
    rows = stage_rows(stages)
    assert [r["name"] for r in rows] == ["a", "rank 1 · a", "rank 0 · a", "b", "rank 1 · b",
                                         "rank 0 · b"]
    changes = {r["name"]: r["rss_change_mb"] for r in rows}
    assert changes == {"a": None, "rank 1 · a": None, "rank 0 · a": None, "b": 50.0,
                       "rank 1 · b": 50.0, "rank 0 · b": 60.0}
    assert [r["name"] for r in table_rows(stages)] == ["a", "b", "rank 0 · a", "rank 0 · b",
                                                       "rank 1 · a", "rank 1 · b"]


def test_process_lines_put_ranks_first_and_say_what_does_not_fit() -> None:
    processes = [{"pid": 9, "name": "pid 9 torchrun", "rss": 100 * MIB, "peak": 120 * MIB},
                 {"pid": 11, "name": "rank 10", "rss": 300 * MIB, "peak": 310 * MIB},
                 {"pid": 10, "name": "rank 2", "rss": 200 * MIB, "peak": 250 * MIB}]
    assert process_lines(processes, 5) == [
        "rank 2          200 MiB  peak 250 MiB", "rank 10         300 MiB  peak 310 MiB",
        "pid 9 torchrun  100 MiB  peak 120 MiB"]
    assert process_lines(processes, 2) == ["rank 2  200 MiB  peak 250 MiB",
                                           "+2 more processes"]
    assert process_lines(processes[:1], 5) == []  # one process: the card's figures say it
    stored = [{"pid": 1, "name": "rank 0", "peak": 5 * MIB}, {"pid": 2, "name": "rank 1",
                                                              "peak": 6 * MIB}]
    assert process_lines(stored, 3) == ["rank 0  peak 5 MiB", "rank 1  peak 6 MiB"]


def _run_program(source: str, runs_dir: Path, tmp_path: Path) -> tuple[Any, dict]:
    """`memtop run` of a program written here (its folder as its argument): output and run."""
    program = tmp_path / "program.py"
    program.write_text(source)
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--", sys.executable,
                        str(program), str(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return result, show_json(runs_dir)


WORKERS_PROGRAM = """
import subprocess, sys, time
import memtop

def worker(mib):
    # allocates its block a moment into `work` and frees it well before `work` ends
    code = (f"import time; time.sleep(0.4); b = bytearray({mib} << 20); time.sleep(0.3); "
            "del b; time.sleep(2.5)")
    return subprocess.Popen([sys.executable, "-c", code])

with memtop.stage("start"):
    workers = [worker(40), worker(120)]
with memtop.stage("work"):
    time.sleep(2.0)
with memtop.stage("rest"):
    time.sleep(0.3)
for process in workers:
    process.wait()
"""


def test_other_processes_peaks_are_read_and_reset_at_the_programs_own_stages(
        runs_dir: Path, tmp_path: Path) -> None:
    result, run = _run_program(WORKERS_PROGRAM, runs_dir, tmp_path)
    work = next(s for s in run["stages"] if s["name"] == "work")
    peaks = sorted(p["peak"] / MIB for p in work["processes"])
    assert len(peaks) == 2 and all(p["exact"] for p in work["processes"])
    # Each worker's exact peak in `work`: its block on top of Python's own few MiB, although
    # the block came and went between two of the sampler's once-a-second readings.
    assert 40 + 3 < peaks[0] < 40 + 30 and 120 + 3 < peaks[1] < 120 + 30
    rest = next(s for s in run["stages"] if s["name"] == "rest")
    assert all(p["peak"] / MIB < 30 for p in rest["processes"])  # freed, and the reset held
    assert "Peak of each process by stage" in result.stderr


def test_the_table_by_stage_keeps_the_largest_processes(tmp_path: Path) -> None:
    import json
    import sqlite3

    from memtop.engine.report.groups import MAX_PROCESS_COLUMNS, process_stages_table
    from memtop.engine.store import read_run

    from conftest import write_run

    path = tmp_path / "pool.db"
    write_run(path)
    many = [{"pid": 100 + i, "name": f"pid {100 + i} w", "peak": (i + 1) * MIB, "exact": True}
            for i in range(MAX_PROCESS_COLUMNS + 3)]
    with sqlite3.connect(path) as db:
        seq, data = db.execute("SELECT seq, data FROM stages ORDER BY seq LIMIT 1").fetchone()
        db.execute("UPDATE stages SET data = ? WHERE seq = ?",
                   (json.dumps({**json.loads(data), "processes": many}), seq))
    table = process_stages_table(read_run(str(path)))
    headers = [column.header for column in table.columns][1:]
    largest = {p["name"] for p in many[-MAX_PROCESS_COLUMNS:]}
    assert set(headers) == largest  # not the first six by name


RANK_BESIDE_ROOT = """
import os, pathlib, subprocess, sys, time
import memtop

here = pathlib.Path(sys.argv[1])
if len(sys.argv) > 2:  # the rank: a block whose peak is gone before the root's stage ends
    with memtop.stage("hold"):
        time.sleep(1.5)  # the engine's once-a-second reading of the tree has found this process
        block = bytearray(100 << 20)
        del block
        (here / "freed").touch()
        while not (here / "marked").exists():
            time.sleep(0.01)
    sys.exit(0)
rank = subprocess.Popen([sys.executable, __file__, str(here), "rank"],
                        env={**os.environ, "RANK": "1"})
with memtop.stage("wait"):
    while not (here / "freed").exists():
        time.sleep(0.01)
time.sleep(1.0)  # the engine has handled `wait` (and read the other processes' peaks)
(here / "marked").touch()
rank.wait()
"""


def test_a_ranks_open_block_keeps_its_peak_across_the_roots_own_stages(
        runs_dir: Path, tmp_path: Path) -> None:
    _, run = _run_program(RANK_BESIDE_ROOT, runs_dir, tmp_path)
    assert _hold_growth(run, "rank 1") > 95  # the root's stage did not reset the rank's VmHWM


def test_a_cards_process_lines_lose_their_rss_when_the_run_ends() -> None:
    board = RunBoard()
    board.apply(messages.queued({"id": "s1", "backend": "", "model": "torchrun",
                                 "command": ["torchrun"]}))
    board.apply(messages.started("s1", "r1", "/x.db", 1, 0.0, {}))
    rows = [{"pid": 2, "name": "rank 0", "rss": 300 * MIB, "peak": 370 * MIB},
            {"pid": 3, "name": "rank 1", "rss": 310 * MIB, "peak": 470 * MIB}]
    board.apply(messages.workers("r1", 1.0, rows))
    (run,) = board.runs
    assert "310 MiB  peak 470 MiB" in process_lines(run.processes, 3)[1]
    board.apply(messages.finished("s1", "r1", "/x.db", {"status": "done"}))
    assert process_lines(run.processes, 3)[1].split() == ["rank", "1", "peak", "470", "MiB"]
