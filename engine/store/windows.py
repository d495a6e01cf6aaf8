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
import itertools
from typing import Protocol


class BlockSource(Protocol):
    """What windows read of a run file (series.SeriesReader; named here, as it uses windows)."""

    def blocks_after(self, table: str, after: float) -> list[tuple[int, float, float]]: ...

    def block(self, table: str, rowid: int, level: str = "data") -> list[tuple]: ...

    def blocks_level(self, table: str, rowids: list[int],
                     level: str) -> dict[int, list[tuple]]: ...

SUMMARY_ABOVE_S = 1800.0
EXTREMES_ABOVE_S = 2048 * 60.0
SUMMARY_SPAN_S = 1.0  # a summary keeps each second's extremes (blocks.SUMMARIES)
BLOCK_SPAN_S = 60.0  # a final block spans a minute (writer.MERGE_SPAN_S)


class SeriesWindows:
    """A series' blocks as they are now, from those holding times after `since` on (a
    follower's cursor); a file that grows needs a new one."""

    def __init__(self, run: BlockSource, table: str, since: float = float("-inf")) -> None:
        self.run = run
        self.table = table
        self._index = run.blocks_after(table, since)  # (rowid, t0, t1), in time order
        self._ends = [t1 for _, _, t1 in self._index]
        self._cached: tuple[int, list[tuple]] | None = None

    def rows(self, after: float, upto: float, resolution: float | None = None) -> list[tuple]:
        """The rows with after < t <= upto (the run's own clock), in time order. With a
        `resolution` (the seconds a chart column spans), the level read is the coarsest whose
        buckets fit twice in a column (so that each column holds extremes); without one, the
        level a view's bounded history keeps of a window that long."""
        out: list[tuple] = []
        blocks = []
        for block in itertools.islice(self._index, bisect.bisect_right(self._ends, after), None):
            if block[1] > upto:
                break
            blocks.append(block)
        if not blocks:
            return out
        if resolution is not None:
            level = "extremes" if resolution >= 2 * BLOCK_SPAN_S else \
                "summary" if resolution >= 2 * SUMMARY_SPAN_S else None
        else:
            covered = min(upto, blocks[-1][2]) - max(after, blocks[0][1])
            level = "extremes" if covered > EXTREMES_ABOVE_S else \
                "summary" if covered > SUMMARY_ABOVE_S else None
        inside = [rowid for rowid, t0, t1 in blocks if after < t0 and t1 <= upto]
        coarse = self.run.blocks_level(self.table, inside, level) if level else {}
        for rowid, _t0, _t1 in blocks:
            extremes = coarse.get(rowid)
            if extremes:  # empty for a provisional block (the last minute): its rows
                out.extend(extremes)
            else:
                out.extend(row for row in self._block(rowid) if after < row[0] <= upto)
        return out

    def _block(self, rowid: int) -> list[tuple]:
        if self._cached is None or self._cached[0] != rowid:
            self._cached = (rowid, self.run.block(self.table, rowid))
        return self._cached[1]
