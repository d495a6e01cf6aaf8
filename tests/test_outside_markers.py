"""`m` on a live bench (Pilot): a marker is an instant with its RSS, shown on the timeline, the
detail chart and the event log, and it never touches the protocol's stages or the summary."""

from __future__ import annotations

import pytest

from memtop.engine.spec import STAGES, RunSpec
from memtop.engine.store import read_run
from memtop.tui.app import MemtopApp
from memtop.tui.widgets.run_card import RunCard

from conftest import needs_backend, run_memtop, show_json
from tui_support import wait_until


def shape(run: dict) -> tuple:
    """What must not change when markers are added: the stages' names, keys and depths, which
    summary figures are known, and that every duration is a duration."""
    stages = [(s["name"], s["key"], s["depth"]) for s in run["stages"]]
    known = tuple(sorted(k for k, v in run["summary"].items() if v is not None))
    return stages, known


@needs_backend("torch")
@pytest.mark.backend
async def test_m_during_every_protocol_stage_adds_markers_and_changes_no_stage(tmp_path):
    from memtop.engine.client import LiveSource

    spec = RunSpec(backend="torch", model="gpt2_tiny", runs_dir=str(tmp_path / "marked"))
    app = MemtopApp(start="dashboard", source=LiveSource([spec]))
    pressed = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 1, timeout=30)
        card = app.screen.query_one(RunCard)
        card.focus()
        await wait_until(pilot, lambda: card.state.status == "running", timeout=60)
        seen = -1
        while card.state.status == "running":  # once in each stage, as soon as it begins
            if len(card.state.stages) != seen:
                seen = len(card.state.stages)
                await pilot.press("m")
                pressed += 1
            await pilot.pause(0.02)
        await wait_until(pilot, lambda: card.state.status == "done", timeout=60)
        await wait_until(pilot, lambda: len(card.state.markers) >= 6, timeout=10)
        state = card.state
        assert [s["name"] for s in state.stages] == list(STAGES)  # no stage named "mark N"
        card_text = "".join(seg.text for seg in app.console.render(card.render()))
        assert "▼" in card_text  # the markers on the card's timeline
        await pilot.press("e")
        await pilot.pause()
        events = app.screen.query_one("#events")
        logged = [str(events.get_row_at(i)[2]) for i in range(events.row_count)]
        assert logged.count("marker") == len(state.markers)
        await pilot.press("escape", "enter")
        await pilot.pause(0.5)
        from memtop.tui.screens.detail import DetailScreen

        assert isinstance(app.screen, DetailScreen)
        assert len(app.screen.chart.markers) == len(state.markers)  # drawn on the chart
    marked = show_json(tmp_path / "marked")
    assert len(marked["markers"]) == len(state.markers) >= 6
    for stage in marked["stages"]:
        assert stage["duration_s"] is None or stage["duration_s"] >= 0
    # The same bench without markers: the same stages, the same figures known.
    plain = run_memtop("bench", "--backend", "torch", "--model", "gpt2_tiny", "--no-tui",
                       "--runs-dir", str(tmp_path / "plain"))
    assert plain.returncode == 0, plain.stderr
    unmarked = show_json(tmp_path / "plain")
    assert unmarked["markers"] == []
    assert shape(marked) == shape(unmarked)
    # Compilation is what the seeds define, from the protocol's own stages.
    stages = {s["name"]: s for s in marked["stages"]}
    assert marked["summary"]["compilation_mb"] == pytest.approx(
        stages["first_inference"]["rss_mb"] - stages["before_inference"]["rss_mb"], abs=0.01)
    run = read_run(marked["path"])
    assert sum(1 for e in run.events if e["kind"] == "marker") == len(marked["markers"])
