"""Writing a run file while the run goes (the engine's main loop is its only user).

WAL with commits at most every COMMIT_EVERY_S, so a crash of any process loses at most the last
fraction of a second; a finished run is checkpointed back to a single self-contained file, to be
copied elsewhere and replayed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any

from .schema import DDL, SCHEMA_VERSION, insert_sql

# With the engine's 50 ms pump, a crash loses at most COMMIT_EVERY_S + 0.05 = 0.2 s of data.
COMMIT_EVERY_S = 0.15


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
        self.set_meta(meta)
        self._db.commit()
        self._last_commit = time.monotonic()

    def set_meta(self, values: dict[str, Any]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             [(k, json.dumps(v)) for k, v in values.items()])

    def add_samples(self, rows: list[tuple[float, int]]) -> None:
        self._db.executemany(insert_sql("samples"), rows)

    def add_proc(self, rows: list[tuple]) -> None:
        self._db.executemany(insert_sql("proc"), rows)

    def add_system(self, rows: list[tuple]) -> None:
        self._db.executemany(insert_sql("system"), rows)

    def add_gpu(self, rows: list[tuple]) -> None:
        self._db.executemany(insert_sql("gpu"), rows)

    def add_stage(self, seq: int, stage: dict[str, Any]) -> None:
        self._db.execute("INSERT INTO stages VALUES (?, ?, ?, ?, ?)",
                         (seq, stage["name"], stage["t"], stage["t_end"], json.dumps(stage)))

    def add_event(self, t: float, kind: str, level: str, message: str,
                  data: dict[str, Any] | None = None) -> None:
        self._db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                         (t, kind, level, message, json.dumps(data) if data else None))

    def samples(self) -> list[tuple[float, int]]:
        return self._db.execute("SELECT t, rss FROM samples ORDER BY rowid").fetchall()

    def maybe_commit(self, now: float) -> None:
        if now - self._last_commit >= COMMIT_EVERY_S:
            self.commit()

    def commit(self) -> None:
        self._db.commit()
        self._last_commit = time.monotonic()

    def close(self) -> None:
        """Commits and folds the WAL back so the finished file stands alone."""
        self._db.commit()
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError:
            pass  # a follower (`memtop replay --follow`) has it open: it stays in WAL, complete
        self._db.close()
