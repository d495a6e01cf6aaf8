"""Alarms fire once when their condition starts."""

from memtop.engine.analysis.alarms import AlarmWatch, Thresholds

MIB = 1024 * 1024


def test_swap_levels_and_growth():
    watch = AlarmWatch()
    assert watch.on_proc(0.0, 0) == []
    kinds = [(a["kind"], a["level"]) for a in watch.on_proc(1.0, 150 * MIB)]
    assert kinds == [("swap_growth", "info"), ("swap", "info")]
    assert watch.on_proc(1.5, 160 * MIB) == []  # no repeats
    assert [a["level"] for a in watch.on_proc(2.0, 1200 * MIB)] == ["warning"]


def test_pressure_and_cgroup_rearm_after_clearing():
    watch = AlarmWatch(Thresholds(pressure_some_pct=5.0))
    assert [a["kind"] for a in watch.on_system(0, 7.5, 95, 100)] == ["pressure", "cgroup"]
    assert watch.on_system(1, 7.5, 95, 100) == []
    assert watch.on_system(2, 0.0, 10, 100) == []
    assert len(watch.on_system(3, 9.0, 99, 100)) == 2
    assert watch.on_system(4, None, 99, None) == []
