"""A run file's readings (samples, proc, system, gpu): whole, streamed, at a second's
resolution, by window of time, by block, or past a follower's cursor; schema 3 files keep them
in compressed blocks (blocks.py), older ones a row each. `reader.Run` is one of these, with the
run's metadata, stages and events besides.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from ..errors import UserError
from .blocks import BadBlock, block_rows, decode
from .schema import select_sql, stored_real, widened
from .windows import SeriesWindows

_LEVELS = {"data": "data", "summary": "summary", "extremes": "extremes"}  # never SQL from input
# Blocks whose summaries `iter_coarse` reads in one query (4 hours of a series): a query a block
# cost more than decoding its summary, and all at once would hold a run's whole summary.
COARSE_BATCH = 256


class SeriesReader:
    """The readings of the run file at `path`, open as `_db` (reader.Run's fields)."""

    path: str
    version: int
    _db: sqlite3.Connection
    _rows: dict[str, list[tuple]]

    @property
    def in_blocks(self) -> bool:
        """Readings in compressed blocks (schema 3 on), not a row each."""
        return self.version >= 3

    # Rows are written in time order, so rowid order is time order: no sort over 720,000 rows.
    # A run file read back does not change (a file being written is read with `rows_after`),
    # so each table is read once.
    def samples(self) -> list[tuple[float, int]]:
        return self._readings("samples")

    def proc(self) -> list[tuple]:
        return self._readings("proc")

    def system(self) -> list[tuple]:
        return self._readings("system")

    def gpu(self) -> list[tuple]:
        """(t, used by the session, device used, device total); empty without a GPU."""
        return self._readings("gpu") if self.has_table("gpu") else []

    def _readings(self, table: str) -> list[tuple]:
        if table not in self._rows:
            self._rows[table] = list(self.iter_readings(table))
        return self._rows[table]

    def iter_readings(self, table: str) -> Iterator[tuple]:
        """A series row by row, in time order, without keeping it (exports): from its blocks
        (schema 3) or its table (before)."""
        if table == "gpu" and not self.has_table("gpu"):
            return
        try:
            if self.in_blocks:
                real = stored_real(table, self.version)
                yield from widened(table, self.version, block_rows(self._db, table, real))
                return
            rows = self._db.execute(select_sql(table, version=self.version))
            yield from widened(table, self.version, (row[1:] for row in rows))
        except (sqlite3.DatabaseError, BadBlock) as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None

    def iter_coarse(self, table: str, level: str = "summary") -> Iterator[tuple]:
        """A series at a second's resolution, streamed: each block's summary (the rows that
        hold each second's highest values, so peaks are exact), or at a block's (`extremes`:
        enough for a series' highest values), or its rows where it has none (a provisional
        block, a file before blocks)."""
        if not self.in_blocks:
            yield from self.iter_readings(table)
            return
        blocks = self.blocks_after(table, float("-inf"))
        for start in range(0, len(blocks), COARSE_BATCH):  # a query a batch, streamed
            batch = [rowid for rowid, _t0, _t1 in blocks[start:start + COARSE_BATCH]]
            found = self.blocks_level(table, batch, level)
            for rowid in batch:
                yield from found.get(rowid) or self.block(table, rowid)

    def window(self, table: str, after: float, upto: float,
               resolution: float | None = None) -> list[tuple]:
        """A series' rows with after < t <= upto, read from that window's blocks only, at the
        resolution asked (seconds a chart column spans; windows.py)."""
        if table == "gpu" and not self.has_table("gpu"):
            return []
        if not self.in_blocks:
            return [row for row in self._readings(table) if after < row[0] <= upto]
        return SeriesWindows(self, table).rows(after, upto, resolution)

    def blocks_after(self, table: str, after: float) -> list[tuple[int, float, float]]:
        """(rowid, t0, t1) of a series' blocks that hold times later than `after`, in time
        order (schema 3)."""
        return self._query("SELECT rowid, t0, t1 FROM blocks WHERE series = ? AND t1 > ? "
                           "ORDER BY rowid", (table, after))

    def series_end(self, table: str) -> float | None:
        """The time of a series' last row (schema 3)."""
        found = self._query("SELECT max(t1) FROM blocks WHERE series = ?", (table,))
        return found[0][0] if found else None

    def block(self, table: str, rowid: int, level: str = "data") -> list[tuple]:
        """One block's rows (`data`), or those of a summary: each second's extremes
        (`summary`), the whole block's (`extremes`)."""
        found = self._query(f"SELECT {_LEVELS[level]} FROM blocks WHERE rowid = ?", (rowid,))
        return self._decoded(table, found[0][0]) if found else []

    def blocks_level(self, table: str, rowids: list[int], level: str) -> dict[int, list[tuple]]:
        """The `summary` or `extremes` rows of many blocks of a series, in one query: a view of
        days reads thousands, and a query each cost more than decoding a plain one."""
        if not rowids:
            return {}
        wanted = set(rowids)
        found = self._query(f"SELECT rowid, {_LEVELS[level]} FROM blocks WHERE series = ? AND "
                            "rowid BETWEEN ? AND ?", (table, min(rowids), max(rowids)))
        return {rowid: self._decoded(table, blob) for rowid, blob in found if rowid in wanted}

    def _decoded(self, table: str, blob: object) -> list[tuple]:
        try:
            return list(widened(table, self.version,
                                decode(blob, stored_real(table, self.version))))
        except BadBlock as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None

    def sample_count(self) -> int:
        """How many RSS samples the run holds, without reading them."""
        found = self._query("SELECT sum(n) FROM blocks WHERE series = 'samples'" if self.in_blocks
                            else "SELECT count(*) FROM samples")
        return int(found[0][0] or 0) if found else 0

    def end_rows(self, table: str) -> tuple[tuple | None, tuple | None]:
        """A series' first and last rows, from two blocks at most (older files: read whole)."""
        if not self.in_blocks:
            rows = self._readings(table)
            return (rows[0], rows[-1]) if rows else (None, None)
        def block_at(order: str) -> list[tuple]:
            found = self._query(f"SELECT rowid FROM blocks WHERE series = ? ORDER BY {order} "
                                "LIMIT 1", (table,))
            return self.block(table, found[0][0]) if found else []

        first, last = block_at("t0"), block_at("t1 DESC")
        return (first[0] if first else None), (last[-1] if last else None)

    def last_sample_time(self) -> float | None:
        if self.in_blocks:
            return self.series_end("samples")
        found = self._query("SELECT max(t) FROM samples")
        return found[0][0] if found else None

    @property
    def first_cursor(self) -> float:
        """Where `rows_after` starts: before the first row."""
        return float("-inf") if self.in_blocks else 0

    def rows_after(self, table: str, cursor: float) -> list[tuple]:
        """(cursor, *fields) of a series' rows past `cursor` (a row's time in blocks, its rowid
        before): for following a file being written. In blocks, read by window as a replay
        reads them (windows.py): a follower catching up on days of a run takes their summaries,
        then row by row. Not cached."""
        if table == "gpu" and not self.has_table("gpu"):
            return []
        if not self.in_blocks:
            rows = self._query(select_sql(table, True, self.version), (cursor,))
            return [(row[0], *rest) for row, rest in
                    zip(rows, widened(table, self.version, (r[1:] for r in rows)), strict=True)]
        return [(row[0], *row) for row in
                SeriesWindows(self, table, since=cursor).rows(cursor, float("inf"))]

    def has_table(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                "name = ?", (name,)))

    def _query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None
