"""Which samples count toward a stage's sampled maximum."""

from memtop.engine.monitor.peaks import SampledPeak


def test_samples_straddling_a_boundary_count_for_neither_stage():
    peaks = SampledPeak()
    peaks.add(0.00, 0.01, 100)
    peaks.add(0.98, 1.02, 999)  # read while the boundary [1.0, 1.01] was being measured
    peaks.add(1.02, 1.03, 200)
    assert peaks.close_stage(1.0, 1.01) == 100
    peaks.add(1.50, 1.51, 150)
    assert peaks.close_stage(2.0, 2.01) == 200


def test_old_samples_are_absorbed_into_the_running_maximum():
    peaks = SampledPeak()
    for i in range(1000):  # ten seconds at 100 Hz: the tail stays short
        peaks.add(i / 100, i / 100 + 0.0001, 300 if i == 10 else 100)
    assert len(peaks._tail) < 100
    assert peaks.close_stage(10.5, 10.6) == 300


def test_a_stage_without_samples_has_none():
    peaks = SampledPeak()
    assert peaks.close_stage(1.0, 1.1) is None
