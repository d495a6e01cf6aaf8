"""Bounded history keeps every spike."""

from memtop.engine.client import MaxEnvelope, resample_max


def test_capacity_is_bounded_and_a_one_sample_spike_survives():
    history = MaxEnvelope(capacity=64, span=0.005)
    for i in range(100_000):
        history.add(i * 0.005, 1000.0 if i == 77_777 else float(i % 10))
    assert len(history) <= 64
    assert history.max() == 1000.0
    assert history.last == 9.0


def test_buckets_keep_the_maximum_of_their_stretch():
    history = MaxEnvelope(capacity=4, span=1.0)
    for t, v in [(0, 1), (0.5, 5), (1, 2), (2, 3), (3, 9), (4, 0)]:
        history.add(t, v)
    assert list(zip(history.times, history.values, strict=True)) == [(0, 5), (2, 9), (4, 0)]


def test_resample_max_takes_the_maximum_per_column():
    columns = resample_max([0, 1, 2, 3, 9, 10], [1, 7, 2, 2, 4, 8], 0, 10, 5)
    assert columns == [7, 2, None, None, 8]
