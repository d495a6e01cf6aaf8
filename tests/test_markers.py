"""memtop.stage and memtop.mark in a user's program run with `memtop run`."""

import subprocess
import sys

import pytest

from conftest import HELPERS, run_memtop, show_json

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def three_stages_dir(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("runs")
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, str(HELPERS / "three_stages.py"))
    assert result.returncode == 0, result.stderr
    return runs_dir


@pytest.fixture(scope="module")
def three_stages(three_stages_dir) -> dict:
    return show_json(three_stages_dir)


def test_blocks_become_stages_with_their_rss_change(three_stages):
    stages = {s["name"]: s for s in three_stages["stages"]}
    assert list(stages) == ["alloc_100", "alloc_300", "alloc_50", "inner_spike", "inner_quiet",
                            "outer", "end"]
    for name, size in (("alloc_100", 100), ("alloc_300", 300), ("alloc_50", 50)):
        assert stages[name]["rss_change_mb"] == pytest.approx(size, rel=0.02)


def test_block_peaks_are_exact_and_nested_blocks_keep_them(three_stages):
    stages = {s["name"]: s for s in three_stages["stages"]}
    for name, size in (("alloc_100", 100), ("alloc_300", 300), ("alloc_50", 50)):
        stage = stages[name]
        start = stage["rss_mb"] - stage["rss_change_mb"]
        assert stage["peak_exact"]
        # The 64 MiB spike was freed inside the block: the kernel still saw it.
        assert stage["peak_mb"] - start >= max(64, size) - 1
        assert stage["kernel_peak_mb"] >= stage["sampled_peak_mb"] - 1
    spike = stages["inner_spike"]
    assert spike["peak_mb"] - spike["rss_mb"] >= 200 - 2
    # The outer block's peak includes the inner block's spike despite the inner resets.
    assert stages["outer"]["peak_mb"] >= spike["peak_mb"] - 1
    assert stages["inner_quiet"]["peak_mb"] < spike["peak_mb"] - 150


def test_a_mark_carries_its_extra_values(three_stages):
    assert three_stages["status"] == "done"
    assert three_stages["stages"][-1]["name"] == "end"


def test_markers_do_nothing_outside_memtop():
    code = ("import memtop, sys\n"
            "with memtop.stage('x'):\n    pass\n"
            "@memtop.stage('f')\ndef f():\n    return 7\n"
            "memtop.mark('y')\n"
            "assert f() == 7 and not memtop.active()\n"
            "print('memtop.engine.session.stagepoint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin"}).stdout
    assert out.strip() == "False"  # not even the recorder was loaded


def import_cost_us(statement: str) -> int:
    """Microseconds `statement` spends importing, from `python -X importtime` (median of 5)."""
    costs = []
    for _ in range(5):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                             capture_output=True, text=True, check=True).stderr
        total = 0
        for line in err.splitlines():
            parts = line.split("|")
            # top-level imports only: their cumulative time includes everything below them
            if len(parts) == 3 and not parts[2].startswith("  ") and parts[1].strip().isdigit():
                total += int(parts[1])
        costs.append(total)
    return sorted(costs)[2]


def test_importing_memtop_costs_under_20_ms_more_than_a_bare_interpreter():
    extra = import_cost_us("import memtop; memtop.stage; memtop.mark") - import_cost_us("pass")
    assert 0 < extra < 20_000, f"import memtop took {extra / 1000:.1f} ms"


def test_nested_blocks_say_their_depth_and_tables_list_them_inside_their_block(
        three_stages, three_stages_dir):
    depth = {s["name"]: s["depth"] for s in three_stages["stages"]}
    assert depth == {"alloc_100": 0, "alloc_300": 0, "alloc_50": 0, "inner_spike": 1,
                     "inner_quiet": 1, "outer": 0, "end": 0}
    table = run_memtop("show", "latest", "--runs-dir", str(three_stages_dir)).stdout
    names = [line.split("│")[1].strip() for line in table.splitlines()
             if line.count("│") > 2 and "Stage" not in line]
    assert names[:7] == ["alloc_100", "alloc_300", "alloc_50", "outer", "└ inner_spike",
                     "└ inner_quiet", "end"]


def test_a_replay_shows_each_block_open_while_it_was(three_stages_dir):
    from memtop.engine.client import RunBoard
    from memtop.engine.store import RunStream, list_run_files, read_run

    stream = RunStream(read_run(str(list_run_files(str(three_stages_dir))[0])))
    board = RunBoard()
    seen = []
    for message in stream.all():
        state = board.apply(message)
        if state is not None and state.in_progress is not None and state.open_blocks:
            seen.append(tuple(state.in_progress[0]))
    assert ("outer", "inner_spike") in seen and ("outer",) in seen and ("alloc_300",) in seen
