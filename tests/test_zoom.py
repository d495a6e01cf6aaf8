"""Zoom and pan in time (issue #15): the window moves as keys say, and a 2 ms spike in hour 71
of a 72-hour run file is in the columns of the window around it, read from that window only."""

from __future__ import annotations

import pytest

from memtop.engine.client.zoom import SHORTEST_S, TimeWindow, window_maxima
from memtop.engine.store import RunWriter, read_run

from conftest import MIB

HOUR = 3600.0


def test_keys_move_the_window_inside_the_run():
    start, end = 100.0, 100.0 + 3 * HOUR
    whole = TimeWindow(start, end)
    zoomed = whole.zoom_in(start, end)
    assert not zoomed.whole and zoomed.width == pytest.approx(1.5 * HOUR)
    assert (zoomed.start + zoomed.end) / 2 == pytest.approx((start + end) / 2)
    right = zoomed.pan(+1, start, end)
    assert right.start == pytest.approx(zoomed.start + 0.25 * zoomed.width)
    for _ in range(10):  # panning stops at the run's end, the width kept
        right = right.pan(+1, start, end)
    assert right.end == pytest.approx(end) and right.width == pytest.approx(zoomed.width)
    assert zoomed.zoom_out(start, end) == whole  # as wide as the run: the whole run again
    tiny = whole
    for _ in range(40):
        tiny = tiny.zoom_in(start, end)
    assert tiny.width == pytest.approx(SHORTEST_S)
    assert whole.pan(-1, start, end) == whole


def test_a_whole_window_follows_a_growing_run_and_a_zoomed_one_stays():
    whole = TimeWindow(0.0, 10.0)
    assert whole.over(0.0, 20.0) == TimeWindow(0.0, 20.0)
    zoomed = whole.zoom_in(0.0, 10.0)
    assert zoomed.over(0.0, 20.0) == zoomed
    assert zoomed.label(0.0) == "zoom 0:00:02.500-0:00:07.500 (5.0 s)"


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    """72 hours of samples at 0.5 Hz (the writer and its blocks as in a real run, fewer rows),
    with a 2 ms spike of 900 MiB in hour 71 caught by one 200 Hz burst of samples."""
    path = str(tmp_path_factory.mktemp("zoom") / "long.db")
    writer = RunWriter(path, {"run_id": "long", "t_start": 0.0, "kind": "run"})
    spike_t = 71 * HOUR + 1234.5
    rows, t = [], 0.0
    while t < 72 * HOUR:
        if abs(t - spike_t) < 1.0:  # the burst around the spike
            burst = [(round(spike_t - 1 + i * 0.005, 6), 100 * MIB) for i in range(400)]
            burst[200] = (burst[200][0], 900 * MIB)
            rows.extend(burst)
            t = spike_t + 1.0
        rows.append((round(t, 6), 100 * MIB + int(t) % 7 * 4096))
        t += 2.0
    for i in range(0, len(rows), 5000):
        writer.add_samples(rows[i:i + 5000])
        writer.commit()
    writer.finish({"status": "done", "t_end": rows[-1][0]}, (rows[-1][0], "end", "info", "done"))
    return path, burst[200][0]


def test_a_2_ms_spike_in_hour_71_shows_whole_and_zoomed(long_run):
    path, spike_t = long_run
    run = read_run(path)
    start, end = 0.0, run.last_sample_time()
    width = 160
    whole = TimeWindow(start, end)
    columns = window_maxima(run, "samples", 1, whole, width)
    assert max(c for c in columns if c is not None) == 900 * MIB  # the whole run keeps it
    window = whole.zoom_around(spike_t, 0.2, start, end)
    read: list[str] = []
    block = run.block
    run.block = lambda table, rowid, level="data": read.append(level) or block(table, rowid, level)
    columns = window_maxima(run, "samples", 1, window, width)
    spiked = [i for i, c in enumerate(columns) if c == 900 * MIB]
    assert len(spiked) == 1 and abs(spiked[0] - width // 2) <= 1  # one column, in the middle
    assert {c for c in columns if c is not None} == {100 * MIB, 900 * MIB}
    assert read == ["data"]  # one block read, not 72 hours of them


async def test_detail_screen_zooms_pans_and_finds_the_spike(long_run):
    from memtop.tui.screens.detail import DetailScreen

    from tui_support import open_detail, replay_app, wait_until

    path, spike_t = long_run
    app = replay_app([read_run(path)])
    async with app.run_test(size=(100, 40)) as pilot:
        await open_detail(pilot, app)
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.window.whole
        await pilot.press("right")  # whole: the key is the stage table's, the window stays
        assert screen.window.whole
        await pilot.press("plus", "plus", "plus")
        window = screen.window
        assert not window.whole and window.width == pytest.approx(72 * HOUR / 8, rel=0.01)
        await pilot.press("left")
        assert screen.window.start == pytest.approx(window.start - window.width / 4)
        await pilot.press("minus")
        assert screen.window.width == pytest.approx(window.width * 2)
        chart = screen.chart
        start, end = chart.span()
        screen.move(screen.window.zoom_around(spike_t, 0.5, start, end))
        # read from the file by a worker: the chart draws it when it comes
        await wait_until(pilot, lambda: chart.read is not None and
                         chart.read.request.window == screen.window)
        rss, *_kinds_and_swap = chart.read.series
        assert max(rss[2]) == 900  # MiB: the 2 ms spike, from a window of the file
        assert abs(rss[1][rss[2].index(900)] - (spike_t - start)) < 0.01
        await pilot.press("0")
        assert screen.window.whole
