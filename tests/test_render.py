"""The TUI's pure renderers tested as text, as Textual tests its own renderables."""

from rich.style import Style

from memtop.engine.units import MIB
from memtop.tui.render import fmt_duration, sparkline, stage_label, timeline, timeline_bands

A, B = Style(bold=True), Style(italic=True)


def stage(name: str, t: float, rss_mib: float) -> dict:
    return {"name": name, "t": t, "t_end": t, "rss": int(rss_mib * MIB)}


def test_sparkline_heights_between_low_and_high():
    assert sparkline([0, 4, 8, None], 0, 8) == "▁▅█ "
    assert sparkline([0, 4, 8, None], 0, 8, ascii=True) == ".=# "


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


def test_timeline_draws_each_band_clipped_on_alternating_styles():
    text = timeline([("initial", 5), ("model loaded +200", 8)], [A, B])
    assert text.plain == " init model l"
    assert [(span.start, span.end, span.style) for span in text.spans] == [(0, 5, A), (5, 13, B)]


def test_the_ascii_timeline_marks_band_edges():
    assert timeline([("initial", 5), ("load", 8)], [], ascii=True).plain == "|init|load---"


def test_durations_read_like_a_stopwatch():
    assert [fmt_duration(s) for s in (3.25, 75, 3725)] == [" 3.2s", "1m15s", "1h02m"]
