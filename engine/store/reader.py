"""Reading a run file back: one clear line for a bad file, never a traceback.

The reader opens a file as opening.py says (a regular SQLite file, read-only, only memtop's
tables, a time budget per statement), runs `PRAGMA quick_check`, refuses a newer schema, checks
what the file holds, and turns every failure into a UserError. A
`Run` gives its metadata, stages and events at once, its readings on demand, and the figures
every view shows (`summary`, `statistics`) computed one way.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analysis.stats import rss_statistics
from ..analysis.summary import current_summary
from ..errors import UserError
from .opening import check_contents, check_header, check_schema, open_read_only
from .run_schema import Damaged, loads
from .schema import SCHEMA_VERSION, SUFFIX
from .series import SeriesReader
from .status import mark_damaged_log, mark_interrupted

MAX_OUTPUT_CHUNK = 64 * 1024 * 1024  # the engine stores at most a pump's worth (100 ms) a row
MAX_OUTPUT_KEPT = 1 << 30  # output a run file may hold (--max-output; 512 MiB by default)


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
        time; empty for files from before output was kept. More than the run could have kept
        (its --max-output) is a damaged file, found by a first pass that counts before any of it
        is handed out (a decompression bomb costs a count, not a terminal full of zeros)."""
        if not self.has_table("output"):
            return
        query = "SELECT rowid, t, stream, data FROM output WHERE rowid > ? ORDER BY rowid"
        budget = self._output_budget()
        try:
            for _, _, _, blob in self._db.execute(query, (rowid,)):
                budget -= _inflated_size(self.path, blob, budget)
                if budget < 0:
                    raise UserError(f"{self.path}: damaged run file (more output than the run "
                                    "kept)")
            for n, t, stream, blob in self._db.execute(query, (rowid,)):
                yield n, t, stream, _inflate(self.path, blob)
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None

    def output_tail(self, budget: int) -> tuple[list[tuple[float, int, bytes]], bool]:
        """The program's last `budget` bytes of output as (t, stream, bytes) in order, read from
        the end (what a view can show: a bomb costs it `budget`), and whether there was more."""
        if not self.has_table("output"):
            return [], False
        tail: list[tuple[float, int, bytes]] = []
        try:
            rows = self._db.execute("SELECT t, stream, data FROM output ORDER BY rowid DESC")
            for t, stream, blob in rows:
                if budget <= 0:
                    return tail[::-1], True
                data = _inflate(self.path, blob)
                cut = data[-budget:]
                budget -= len(data)
                tail.append((t, stream, cut))
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None
        return tail[::-1], budget < 0

    def _output_budget(self) -> int:
        kept = self.spec.get("max_output")
        kept = kept if isinstance(kept, int) and 0 <= kept <= MAX_OUTPUT_KEPT else \
            MAX_OUTPUT_KEPT
        return kept + MAX_OUTPUT_CHUNK  # the chunk that crossed the line is kept whole

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
            swaps = (row[3] for row in self.iter_coarse("proc", "extremes"))
            return max((swap for swap in swaps if swap is not None), default=None)
        found = self._query("SELECT max(swap) FROM proc")
        return found[0][0] if found else None

    def sampled_max(self) -> int | None:
        if self.in_blocks:
            return max((row[2] for row in self.iter_coarse("samples", "extremes")),
                       default=None)
        found = self._query("SELECT max(rss) FROM samples")  # before blocks: no `high`
        return found[0][0] if found else None

    def max_processes(self) -> int:
        """The most processes the run's tree held at once (1 for a single process)."""
        if self.in_blocks:
            return max((row[6] or 1 for row in self.iter_coarse("proc", "extremes")), default=1)
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


def _inflated_size(path: str, blob: Any, limit: int) -> int:
    """How many bytes a chunk of output inflates to, counted a MiB at a time and no further
    than `limit` + 1 (nothing is kept)."""
    if not isinstance(blob, bytes):
        raise UserError(f"{path}: damaged run file (output that is not bytes)")
    inflater = zlib.decompressobj()
    size, rest = 0, blob
    try:
        while rest and size <= limit:
            size += len(inflater.decompress(rest, 1 << 20))
            rest = inflater.unconsumed_tail
        if size <= limit:
            size += len(inflater.flush())
    except zlib.error as exc:
        raise UserError(f"{path}: damaged run file (output: {exc})") from None
    return size


def _json(path: str, text: str | None) -> Any:
    try:
        return loads(text) if text else None
    except Damaged as exc:
        raise UserError(f"{path}: damaged run file ({exc})") from None


def _event(path: str, row: Sequence[Any]) -> dict[str, Any]:
    t, kind, level, message, data = row
    return {"t": t, "kind": kind, "level": level, "message": message, "data": _json(path, data)}


def read_run(path: str) -> Run:
    """Opens a run file or raises UserError with one clear line (closing what it opened)."""
    check_header(path)
    db = None
    try:
        db = open_read_only(path)
        # The version first: a newer file may hold what this memtop's schema check refuses.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserError(f"{path}: made by a newer memtop (schema {version}, "
                            f"this memtop reads up to {SCHEMA_VERSION}): upgrade memtop")
        check_schema(path, db)
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise UserError(f"{path}: damaged run file (integrity check failed)")
        meta = {k: _json(path, v) for k, v in db.execute("SELECT key, value FROM meta")}
        stages = [_json(path, d) for (d,) in db.execute("SELECT data FROM stages ORDER BY seq")]
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
        if isinstance(exc, ValueError | TypeError):  # a row of the wrong type
            raise UserError(f"{path}: damaged run file ({exc})") from None
        raise
    mark_interrupted(meta)
    mark_damaged_log(path, meta)
    return Run(path=path, meta=meta, stages=stages, events=events, _db=db, version=version)
