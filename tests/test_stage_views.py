"""A plain program's tree of stages under `memtop run` (nested blocks, marks, 200 repeated
steps), and how every view shows it: show (folded, --unfold), the detail screen (`enter`
unfolds), ls, and diff of two runs of one script."""

from __future__ import annotations

import sys

import pytest

from memtop.engine.store import read_run
from memtop.tui.app import MemtopApp

from conftest import HELPERS, run_memtop, show_json
from tui_support import open_detail

PROGRAM = str(HELPERS / "nested_program.py")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("runs")
    runs = []
    for _ in range(2):
        result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                            sys.executable, PROGRAM)
        assert result.returncode == 0, result.stderr
        runs.append(show_json(runs_dir))
    return runs_dir, runs


def above_start(stage: dict) -> float:
    return stage["peak_mb"] - (stage["rss_mb"] - stage["rss_change_mb"])


def test_parents_occurrences_and_exact_peaks_of_known_allocations(two_runs):
    _, (run, _) = two_runs
    stages = {s["key"]: s for s in run["stages"]}
    assert [s["key"] for s in run["stages"] if s["depth"] == 0][:4] == \
        ["load", "ready", "outer", "step"]
    assert stages["outer/inner"]["parent"] == "outer"
    assert stages["outer/after_inner"]["parent"] == "outer"
    assert stages["step#200"]["occurrence"] == 200 and stages["step#200"]["parent"] is None
    assert sum(1 for s in run["stages"] if s["path"] == "step") == 200
    # Each known allocation is its stage's exact peak, within 2%.
    for key, size in (("load", 96), ("outer/inner", 32), ("step#77", 48)):
        assert abs(above_start(stages[key]) - size) <= size * 0.02, (key, above_start(stages[key]))
    assert abs(stages["load"]["rss_change_mb"] - 96) <= 96 * 0.02
    assert stages["step#78"]["peak_mb"] < stages["step#77"]["peak_mb"] - 40
    # A mark starts at its level's last edge: after_inner where inner ended, not before it.
    assert stages["outer/after_inner"]["t_start"] >= stages["outer/inner"]["t"]
    assert stages["outer/warm"]["t_start"] >= stages["outer"]["t_start"]
    for stage in run["stages"]:
        assert stage["duration_s"] is None or stage["duration_s"] >= 0
    inside = sum(s["duration_s"] for s in run["stages"] if s["parent"] == "outer")
    assert inside <= stages["outer"]["duration_s"]


def test_show_folds_repeated_steps_and_unfold_lists_them(two_runs):
    runs_dir, (run, _) = two_runs
    folded = run_memtop("show", run["path"], "--runs-dir", str(runs_dir))
    assert folded.returncode == 0, folded.stderr
    assert "step ×200" in folded.stdout and "step #2 " not in folded.stdout
    assert "Repeated stages" in folded.stdout and "step#77" in folded.stdout  # the worst
    unfolded = run_memtop("show", run["path"], "--unfold", "--format", "markdown")
    assert "step #200" in unfolded.stdout and "step ×200" not in unfolded.stdout


def test_ls_names_a_programs_run_by_its_command(two_runs):
    runs_dir, _ = two_runs
    listed = run_memtop("ls", "--runs-dir", str(runs_dir), env={"COLUMNS": "200"}).stdout
    assert "nested_program.py" in listed and "?" not in listed.split("nested_program.py")[0][-40:]


def test_diff_of_two_runs_of_one_script_tells_them_apart(two_runs):
    _, (a, b) = two_runs
    result = run_memtop("diff", a["path"], b["path"], "--format", "markdown")
    assert result.returncode == 0, result.stderr
    head = result.stdout.split("Δ =")[0]
    assert a["run_id"] in head and b["run_id"] in head and head.count("started ") == 2
    assert "step ×200" in result.stdout
    assert "Model loading" not in result.stdout  # a program's run has no protocol figures


async def test_enter_unfolds_a_repeated_stage_in_the_detail_screen(two_runs):
    from memtop.engine.client import ReplaySource

    _, (run, _) = two_runs
    app = MemtopApp(start="dashboard", source=ReplaySource([read_run(run["path"])],
                                                           at_end=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(pilot, app)
        screen = app.screen
        names = [row["name"] for row in screen._rows]
        assert "step ×200" in names and len(names) < 20
        table = screen.query_one("#stages")
        table.focus()
        table.move_cursor(row=names.index("step ×200"))
        await pilot.press("enter")
        await pilot.pause()
        names = [row["name"] for row in screen._rows]
        assert "step #1" in names and "step #200" in names and len(names) > 200
        summary = str(screen.query_one("#summary").render())
        assert "Exit code" in summary and "Model loading" not in summary
        await pilot.press("enter")  # on a row of the unfolded group: folded again
        await pilot.pause()
        assert any(row["name"] == "step ×200" for row in screen._rows)
