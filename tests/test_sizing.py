"""memtop fit's search and line, on memory that grows with the size as a function the test
knows: the search finds what a scan of every size finds, in a logarithmic number of trials."""

import math

import pytest

from memtop.engine.sizing.line import fit_line
from memtop.engine.sizing.search import SizeSearch


def search(fits, largest: int = 256) -> tuple[int | None, list[int]]:
    s, tried = SizeSearch(largest=largest), []
    while (size := s.next_size()) is not None:
        assert size not in tried  # never the same size twice
        tried.append(size)
        s.record(size, fits(size))
    return s.best, tried


def test_search_finds_what_a_scan_finds():
    for limit in range(0, 300):  # every largest size that fits, past the cap of 256 too
        best, tried = search(lambda size, limit=limit: size <= limit)
        scanned = [size for size in range(1, 257) if size <= limit]
        assert best == (max(scanned) if scanned else None), limit
        assert len(tried) <= 2 * math.log2(max(limit, 2)) + 2, limit


def test_line_recovers_fixed_and_per_unit_memory():
    points = [(size, 900.0 + 12.5 * size) for size in (1, 2, 4, 8, 16)]
    line = fit_line(points)
    assert line is not None
    assert line.fixed_mib == pytest.approx(900.0) and line.per_unit_mib == pytest.approx(12.5)
    assert line.worst_miss_mib == pytest.approx(0.0, abs=1e-9)
    assert line.largest_within(16 * 1024) == math.floor((16 * 1024 - 900) / 12.5)


def test_line_needs_two_sizes_and_growth():
    assert fit_line([(4, 1000.0), (4, 1010.0)]) is None
    flat = fit_line([(1, 1000.0), (8, 1000.0)])
    assert flat is not None and flat.largest_within(4096) is None
