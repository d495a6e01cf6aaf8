"""The TUI's pure renderers tested as text, as Textual tests its own renderables."""

from rich.style import Style

from memtop.engine.units import MIB, fmt_duration
from memtop.tui.render import (
    band_label,
    nested_band_row,
    sparkline,
    stage_label,
    timeline,
    timeline_bands,
)

A, B = Style(bold=True), Style(italic=True)


def stage(name: str, t: float, rss_mib: float) -> dict:
    return {"name": name, "t": t, "t_end": t, "rss": int(rss_mib * MIB)}


def test_sparkline_heights_between_low_and_high():
    assert sparkline([0, 4, 8, None], 0, 8) == "▁▄█ "
    assert sparkline([0, 4, 8, None], 0, 8, ascii=True) == ".:# "


def test_sparkline_keeps_a_one_column_spike_at_full_height():
    assert sparkline([1, 1, 100, 1], 0, 100) == "▁▁█▁"


def test_a_flat_sparkline_is_drawn_at_the_top():
    assert sparkline([5, 5, 5], 5, 5) == "███"


def test_stage_labels_are_short_and_signed():
    assert stage_label("first_inference", 245.4) == "first +245"
    assert stage_label("model_loaded", -3.0) == "model loaded -3"
    assert stage_label("initial", None) == "initial"


def test_bands_fill_the_width_by_duration_in_stage_order():
    stages = [stage("initial", 1.0, 100), stage("model_loaded", 4.0, 300),
              stage("final", 5.0, 310)]
    bands = timeline_bands(stages, start=0.0, now=0.0, width=20)
    assert [label for label, _ in bands] == ["initial", "model loaded +200", "final +10"]
    assert [cells for _, cells in bands] == [5, 11, 4]
    assert sum(cells for _, cells in bands) == 20


def test_the_current_stage_runs_to_now():
    bands = timeline_bands([stage("initial", 1.0, 100)], start=0.0, now=3.0, width=9)
    assert bands == [("initial", 3), ("…", 6)]


def test_the_stage_in_progress_is_named_even_before_the_first_boundary():
    bands = timeline_bands([stage("initial", 1.0, 100)], start=0.0, now=3.0, width=9,
                           current="loading")
    assert bands == [("initial", 3), ("loading", 6)]
    assert timeline_bands([], start=0.0, now=2.0, width=6, current="importing") == \
        [("importing", 6)]


def test_blocks_inside_blocks_are_placed_by_time_on_a_second_row():
    inner_a = {**stage("a", 4.0, 0), "t_start": 2.0}
    inner_b = {**stage("b", 8.0, 0), "t_start": 6.0}
    row = nested_band_row([inner_a, inner_b], start=0.0, end=10.0, width=10)
    assert row == [("", 2), ("a", 2), ("", 2), ("b", 2), ("", 2)]
    assert timeline(row, [A, B]).plain == "   a   b  "
    assert nested_band_row([], 0.0, 10.0, 10) == []  # nothing nested: no second row


def test_timeline_draws_each_band_clipped_on_alternating_styles():
    text = timeline([("initial", 5), ("model loaded +200", 8)], [A, B])
    assert text.plain == " ini… model… "  # cut names say so; a number goes whole
    assert [(span.start, span.end, span.style) for span in text.spans] == [(0, 5, A), (5, 13, B)]


def test_the_ascii_timeline_marks_band_edges():
    assert timeline([("initial", 5), ("load", 8)], [], ascii=True).plain == "|ini.|load---"


def test_a_band_shows_a_number_whole_or_not_at_all():
    # Seen at 80x24 (#27, 4): `model loaded +1,` for +1,515, and bands named `b` and `f`.
    assert band_label("model loaded +1,515", 19) == "model loaded +1,515"
    assert band_label("model loaded +1,515", 16) == "model loaded"
    assert band_label("model loaded +1,515", 8) == "model…"
    assert band_label("first +241", 4) == "fir…"
    assert band_label("before +241", 2) == "" and band_label("b", 1) == "b"


def test_durations_read_like_a_stopwatch():
    assert [fmt_duration(s) for s in (3.25, 75, 3725)] == [" 3.2s", "1m15s", "1h02m"]


def test_a_card_says_what_the_protocol_is_doing_now():
    from memtop.engine.client import RunBoard

    board = RunBoard()
    board.apply({"type": "queued", "id": "s1", "spec": {"backend": "jax", "model": "m"}})
    state = board.apply({"type": "started", "id": "s1", "run": "r1", "path": "p", "pid": 1,
                         "t": 10.0, "meta": {}})
    assert state is not None and state.in_progress == (["starting: importing the backend"], 10.0)
    board.apply({"type": "stage", "run": "r1", "stage": {**stage("initial", 12.0, 100),
                                                          "t_end": 12.5, "peak": 1, "swap": 0}})
    assert state.in_progress == (["loading the model"], 12.5)
    board.apply({"type": "begin", "run": "r1", "block": {"id": 1, "name": "outer", "t": 13.0}})
    board.apply({"type": "begin", "run": "r1", "block": {"id": 2, "name": "inner", "t": 14.0}})
    assert state.in_progress == (["outer", "inner"], 14.0)
    board.apply({"type": "stage", "run": "r1", "stage": {**stage("inner", 15.0, 100), "block": 2,
                                                          "t_start": 14.0, "peak": 1, "swap": 0}})
    assert state.in_progress == (["outer"], 13.0)


def test_a_day_of_marks_shows_the_latest_stages_at_the_cost_of_the_width():
    stages = [stage(f"mark{i}", float(i), 100 + i) for i in range(1, 20_001)]
    bands = timeline_bands(stages, start=0.0, now=0.0, width=50)
    assert sum(cells for _, cells in bands) == 50 and len(bands) == 49
    assert bands[-1][0].startswith("mark20000") and bands[0][0].startswith("mark19952")
    assert bands[0][0] == "mark19952 +1"  # its change from the stage before it, as ever
