"""A series of a run file in blocks (schema 3), read by window of time at a cost bounded by the
window, not by the run (issue #15).

A window of up to SUMMARY_ABOVE_S is read from the blocks themselves, row by row; a longer one
takes, from each block it covers whole, only that block's summary (the rows that hold each
second's extremes, blocks.py), and past EXTREMES_ABOVE_S only the rows of each block's extremes;
it reads whole only the blocks at its two ends. A view keeps a bounded history anyway
(client/history.py: 2,048 buckets, each over a second past 34 minutes, over a block's minute
past 34 hours), so what it keeps is the same; peaks, swap and pressure are exact. One decoded
block is kept, for a replay that reads its blocks a slice at a time.
"""

from __future__ import annotations

import bisect

from .reader import Run

SUMMARY_ABOVE_S = 1800.0
EXTREMES_ABOVE_S = 2048 * 60.0


class SeriesWindows:
    def __init__(self, run: Run, table: str) -> None:
        self.run = run
        self.table = table
        self.index = run.block_index(table)
        self._ends = [t1 for _, _, t1 in self.index]
        self._cached: tuple[int, list[tuple]] | None = None

    @property
    def last_time(self) -> float | None:
        return self._ends[-1] if self._ends else None

    def rows(self, after: float, upto: float) -> list[tuple]:
        """The rows with after < t <= upto (the run's own clock), in time order."""
        out: list[tuple] = []
        if not self.index:
            return out
        covered = min(upto, self._ends[-1]) - max(after, self.index[0][1])
        level = "extremes" if covered > EXTREMES_ABOVE_S else \
            "summary" if covered > SUMMARY_ABOVE_S else None
        for i in range(bisect.bisect_right(self._ends, after), len(self.index)):
            rowid, t0, t1 = self.index[i]
            if t0 > upto:
                break
            if level and after < t0 and t1 <= upto:
                extremes = self.run.block(self.table, rowid, level)
                if extremes:  # empty for a provisional block (the last minute): its rows
                    out.extend(extremes)
                    continue
            out.extend(row for row in self._block(rowid) if after < row[0] <= upto)
        return out

    def _block(self, rowid: int) -> list[tuple]:
        if self._cached is None or self._cached[0] != rowid:
            self._cached = (rowid, self.run.block(self.table, rowid))
        return self._cached[1]
