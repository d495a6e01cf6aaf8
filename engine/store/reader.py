"""Reading a run file back: one clear line for a bad file, never a traceback.

The reader opens a file as opening.py says (a regular SQLite file, read-only, only memtop's
tables, a time budget per statement), runs `PRAGMA quick_check`, refuses a newer schema, checks
what the file holds, and turns every failure into a UserError. A
`Run` gives its metadata, stages and events at once, its readings on demand, and the figures
every view shows (`summary`, `statistics`) computed one way.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..analysis.stats import rss_statistics
from ..analysis.summary import current_summary
from ..errors import UserError
from .blocks import BadBlock, block_rows, decode
from .opening import check_contents, check_header, check_schema, open_read_only
from .schema import (
    REAL_COLUMNS,
    SCHEMA_VERSION,
    SUFFIX,
    select_sql,
)
from .status import mark_damaged_log, mark_interrupted
from .windows import SeriesWindows

MAX_OUTPUT_CHUNK = 64 * 1024 * 1024  # the engine stores at most a pump's worth (100 ms) a row


@dataclass
class Run:
    """A run file read back: metadata, stages, events; readings on demand."""

    path: str
    meta: dict[str, Any]
    stages: list[dict[str, Any]]
    events: list[dict[str, Any]]
    _db: sqlite3.Connection = field(repr=False)
    version: int = SCHEMA_VERSION
    _rows: dict[str, list[tuple]] = field(default_factory=dict, repr=False)

    @property
    def in_blocks(self) -> bool:
        """Readings in compressed blocks (schema 3 on), not a row each."""
        return self.version >= 3

    @property
    def spec(self) -> dict[str, Any]:
        """What the run was asked to do (RunSpec as stored; empty for older files)."""
        return self.meta.get("spec") or {}

    @property
    def run_id(self) -> str:
        return self.meta.get("run_id", os.path.basename(self.path).removesuffix(SUFFIX))

    @property
    def start(self) -> float:
        """When the run started (monotonic seconds of the machine that recorded it)."""
        start = self.meta.get("t_start")
        if start is None:
            first = self._query("SELECT t0 FROM blocks WHERE series = 'samples' ORDER BY rowid "
                                "LIMIT 1" if self.in_blocks else
                                "SELECT t FROM samples ORDER BY rowid LIMIT 1")
            start = first[0][0] if first else 0.0
        return float(start)

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
                yield from block_rows(self._db, table, REAL_COLUMNS[table])
                return
            for row in self._db.execute(select_sql(table)):
                yield row[1:]
        except (sqlite3.DatabaseError, BadBlock) as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None

    def iter_coarse(self, table: str) -> Iterator[tuple]:
        """A series at a second's resolution, streamed: each block's summary (the rows that
        hold each second's extremes, so peaks are exact), or its rows where it has none (a
        provisional block, a file before blocks)."""
        if not self.in_blocks:
            yield from self.iter_readings(table)
            return
        for rowid, _t0, _t1 in self.blocks_after(table, float("-inf")):
            yield from self.block(table, rowid, "summary") or self.block(table, rowid)

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
        column = {"data": "data", "summary": "summary", "extremes": "extremes"}[level]
        found = self._query(f"SELECT {column} FROM blocks WHERE rowid = ?", (rowid,))
        try:
            return decode(found[0][0], REAL_COLUMNS[table]) if found else []
        except BadBlock as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None

    def output_after(self, rowid: int = 0) -> Iterator[tuple[int, float, int, bytes]]:
        """(rowid, t, stream, bytes) of the program's output past `rowid`, in order, a row at a
        time; empty for files from before output was kept."""
        if not self.has_table("output"):
            return
        try:
            for n, t, stream, blob in self._db.execute(
                    "SELECT rowid, t, stream, data FROM output WHERE rowid > ? ORDER BY rowid",
                    (rowid,)):
                yield n, t, stream, _inflate(self.path, blob)
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None

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
            return self._query(select_sql(table, after_rowid=True), (cursor,))
        return [(row[0], *row) for row in
                SeriesWindows(self, table, since=cursor).rows(cursor, float("inf"))]

    def stages_after(self, seq: int) -> list[tuple[int, dict[str, Any]]]:
        rows = self._query("SELECT seq, data FROM stages WHERE seq > ? ORDER BY seq", (seq,))
        return [(n, _json(self.path, data)) for n, data in rows]

    def events_after(self, rowid: int) -> list[tuple[int, dict[str, Any]]]:
        rows = self._query("SELECT rowid, t, kind, level, message, data FROM events "
                           "WHERE rowid > ? ORDER BY rowid", (rowid,))
        return [(n, _event(self.path, row)) for n, *row in rows]

    def reload_meta(self) -> dict[str, Any]:
        """The metadata as the writer has it now (a file being written)."""
        meta = {k: _json(self.path, v) for k, v in self._query("SELECT key, value FROM meta")}
        mark_interrupted(meta)
        self.meta = meta
        return meta

    # ---- the figures every view shows, computed one way ------------------------------------

    def swap_peak(self) -> int | None:
        if self.in_blocks:
            return max((row[3] for row in self.iter_readings("proc") if row[3] is not None),
                       default=None)
        found = self._query("SELECT max(swap) FROM proc")
        return found[0][0] if found else None

    def sampled_max(self) -> int | None:
        if self.in_blocks:
            return max((rss for _, rss in self.iter_readings("samples")), default=None)
        found = self._query("SELECT max(rss) FROM samples")
        return found[0][0] if found else None

    def max_processes(self) -> int:
        """The most processes the run's tree held at once (1 for a single process)."""
        if self.in_blocks:
            return max((row[6] or 1 for row in self.iter_readings("proc")), default=1)
        found = self._query("SELECT max(nproc) FROM proc")
        return int(found[0][0] or 1) if found else 1

    def summary(self) -> dict[str, Any]:
        """Stored when the run finished; derived the live way for a run that never did."""
        stored = self.meta.get("summary")
        if stored:
            return stored
        return current_summary(self.stages, self.swap_peak(), self.sampled_max())

    def statistics(self) -> dict[str, Any]:
        """Stored at the end of a run; derived from the samples for a run that never finished."""
        stored = self.meta.get("stats")
        if stored:
            return stored
        return rss_statistics(self.iter_readings("samples"), self.stages, self.start)

    def has_table(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                "name = ?", (name,)))

    def _query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None

    def close(self) -> None:
        self._db.close()


def _inflate(path: str, blob: Any) -> bytes:
    """One stored chunk of output, refusing what no writer makes (a decompression bomb)."""
    if not isinstance(blob, bytes):
        raise UserError(f"{path}: damaged run file (output that is not bytes)")
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(blob, MAX_OUTPUT_CHUNK)
    except zlib.error as exc:
        raise UserError(f"{path}: damaged run file (output: {exc})") from None
    if inflater.unconsumed_tail:
        raise UserError(f"{path}: damaged run file (an output chunk over "
                        f"{MAX_OUTPUT_CHUNK:,} bytes)")
    return data


def _json(path: str, text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except (ValueError, TypeError) as exc:
        raise UserError(f"{path}: damaged run file ({exc})") from None


def _event(path: str, row: tuple) -> dict[str, Any]:
    t, kind, level, message, data = row
    return {"t": t, "kind": kind, "level": level, "message": message, "data": _json(path, data)}


def read_run(path: str) -> Run:
    """Opens a run file or raises UserError with one clear line (closing what it opened)."""
    check_header(path)
    db = None
    try:
        db = open_read_only(path)
        check_schema(path, db)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserError(f"{path}: made by a newer memtop (schema {version}, "
                            f"this memtop reads up to {SCHEMA_VERSION}): upgrade memtop")
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise UserError(f"{path}: damaged run file (integrity check failed)")
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        stages = [json.loads(d) for (d,) in db.execute("SELECT data FROM stages ORDER BY seq")]
        events = [_event(path, row) for row in
                  db.execute("SELECT t, kind, level, message, data FROM events ORDER BY t")]
        if "run_id" not in meta:
            raise UserError(f"{path}: not a memtop run file (no run metadata)")
        check_contents(path, db, meta, stages)
    except BaseException as exc:
        if db is not None:
            db.close()
        if isinstance(exc, sqlite3.DatabaseError):
            raise UserError(f"{path}: not a readable memtop run file ({exc})") from None
        if isinstance(exc, ValueError | TypeError):  # JSON in a damaged row
            raise UserError(f"{path}: damaged run file ({exc})") from None
        raise
    mark_interrupted(meta)
    mark_damaged_log(path, meta)
    return Run(path=path, meta=meta, stages=stages, events=events, _db=db, version=version)
