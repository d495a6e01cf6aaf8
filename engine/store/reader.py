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
from .opening import check_contents, check_header, check_schema, open_read_only
from .schema import SCHEMA_VERSION, SUFFIX
from .series import SeriesReader
from .status import mark_damaged_log, mark_interrupted

MAX_OUTPUT_CHUNK = 64 * 1024 * 1024  # the engine stores at most a pump's worth (100 ms) a row


@dataclass
class Run(SeriesReader):
    """A run file read back: metadata, stages, events; readings on demand (series.py)."""

    path: str
    meta: dict[str, Any]
    stages: list[dict[str, Any]]
    events: list[dict[str, Any]]
    _db: sqlite3.Connection = field(repr=False)
    version: int = SCHEMA_VERSION
    _rows: dict[str, list[tuple]] = field(default_factory=dict, repr=False)

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
