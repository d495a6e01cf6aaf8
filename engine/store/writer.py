"""Writing a run file while the run goes (the engine's main loop is its only user).

WAL with commits at most every COMMIT_EVERY_S, so a crash of any process loses at most the last
fraction of a second; a finished run is checkpointed back to a single self-contained file, to be
copied elsewhere and replayed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import zlib
from typing import Any

from .schema import DDL, SCHEMA_VERSION, insert_sql

# With the engine's 50 ms pump, a crash loses at most COMMIT_EVERY_S + 0.05 = 0.2 s of data.
COMMIT_EVERY_S = 0.15
# Kept free beside the run file while it is written: when the disk fills, giving it back leaves
# room to record how the run ended.
RESERVE_BYTES = 256 * 1024


class RunWriter:
    """Appends to one run file. Not thread-safe: the engine's main loop owns it."""

    def __init__(self, path: str, meta: dict[str, Any]) -> None:
        self.path = path
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        if os.path.exists(path):
            raise FileExistsError(path)
        self._db = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(DDL)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self.failed: str | None = None  # why writing stopped
        self.set_meta(meta)
        if self.failed is not None:
            raise sqlite3.OperationalError(self.failed)
        self._db.commit()
        self._last_commit = time.monotonic()
        self._reserve = self._hold_reserve()

    def _hold_reserve(self) -> str | None:
        reserve = os.path.join(os.path.dirname(self.path) or ".",
                               "." + os.path.basename(self.path) + ".reserve")
        try:
            with open(reserve, "wb") as f:
                f.write(bytes(RESERVE_BYTES))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(reserve)
            return None
        return reserve

    def _release_reserve(self) -> None:
        if self._reserve is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._reserve)
            self._reserve = None

    def _write(self, sql: str, rows: list | tuple, many: bool = True) -> None:
        """One write; after a failure (disk full, file gone) none is tried again: the run goes
        on without its file, and `failed` says why (the engine raises an alarm and records the
        cause as best it can)."""
        if self.failed is not None:
            return
        try:
            if many:
                self._db.executemany(sql, rows)
            else:
                self._db.execute(sql, rows)
        except sqlite3.Error as exc:
            self.failed = str(exc)

    def set_meta(self, values: dict[str, Any]) -> None:
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [(k, json.dumps(v)) for k, v in values.items()])

    def add_samples(self, rows: list[tuple[float, int]]) -> None:
        self._write(insert_sql("samples"), rows)

    def add_proc(self, rows: list[tuple]) -> None:
        self._write(insert_sql("proc"), rows)

    def add_system(self, rows: list[tuple]) -> None:
        self._write(insert_sql("system"), rows)

    def add_gpu(self, rows: list[tuple]) -> None:
        self._write(insert_sql("gpu"), rows)

    def add_stage(self, seq: int, stage: dict[str, Any]) -> None:
        self._write("INSERT INTO stages VALUES (?, ?, ?, ?, ?)",
                    (seq, stage["name"], stage["t"], stage["t_end"], json.dumps(stage)),
                    many=False)

    def add_event(self, t: float, kind: str, level: str, message: str,
                  data: dict[str, Any] | None = None) -> None:
        self._write("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                    (t, kind, level, message, json.dumps(data) if data else None), many=False)

    def add_output(self, t: float, stream: int, data: bytes) -> None:
        self._write("INSERT INTO output VALUES (?, ?, ?)", (t, stream, zlib.compress(data, 6)),
                    many=False)

    def samples(self) -> list[tuple[float, int]]:
        """What was written (committed or not); empty if the file cannot be read back."""
        try:
            return self._db.execute("SELECT t, rss FROM samples ORDER BY rowid").fetchall()
        except sqlite3.Error:
            return []

    def maybe_commit(self, now: float) -> None:
        if now - self._last_commit >= COMMIT_EVERY_S:
            self.commit()

    def commit(self) -> None:
        self._last_commit = time.monotonic()
        if self.failed is not None:
            return
        try:
            self._db.commit()
        except sqlite3.Error as exc:
            self.failed = str(exc)

    def finish(self, meta: dict[str, Any], end: tuple[float, str, str, str]) -> None:
        """The run's last words (its end, its figures), then `close`. If writing had failed,
        the reserve is given back first, so that how the run ended is recorded all the same."""
        if self.failed is not None:
            self._release_reserve()
            with contextlib.suppress(sqlite3.Error):
                self._db.rollback()
            self.failed, lost = None, self.failed
            meta = {**meta, "storage_error": lost}
        self.set_meta(meta)
        self.add_event(*end)
        self.close()

    def close(self) -> None:
        """Commits and folds the WAL back so the finished file stands alone."""
        self.commit()
        self._release_reserve()
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error:
            pass  # a follower has it open, or the disk is full: it stays in WAL, readable
        self._db.close()
