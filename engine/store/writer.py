"""Writing a run file while the run goes (the engine's main loop is its only user).

WAL with commits at most every COMMIT_EVERY_S, so a crash of any process loses at most the last
fraction of a second; a finished run is checkpointed back to a single self-contained file, to be
copied elsewhere and replayed.

Readings go into compressed blocks (blocks.py): each commit stores what came since the last one
as a small block, and once a series' small blocks span MERGE_SPAN_S of its time they become one,
so that a long run's file holds one block a series a minute. The rows since the last merge are
kept here for that (a minute of readings: bounded).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Sequence
from typing import Any

from .blocks import insert_block
from .schema import DDL, MAX_BLOCK_ROWS, READINGS, REAL_COLUMNS, SCHEMA_VERSION

# The engine's loop turns by each commit's due time, so a crash loses at most COMMIT_EVERY_S and a
# turn's work (0.6 s) of data: each commit costs an insert a series and a WAL write.
COMMIT_EVERY_S = 0.5
# Kept free beside the run file while it is written: when the disk fills, giving it back leaves
# room to record how the run ended.
RESERVE_BYTES = 256 * 1024
END_TEXT_CHARS = 4096  # each text of the end, when it is written into the reserve
MERGE_SPAN_S = 60.0


class NoRoom(OSError):
    """The run file, or the room to end it, could not be made: the run does not start."""


class RunWriter:
    """Appends to one run file. Not thread-safe: the engine's main loop owns it."""

    def __init__(self, path: str, meta: dict[str, Any]) -> None:
        self.path = path
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        if os.path.exists(path):
            raise FileExistsError(path)
        self._reserve: str | None = None
        self._db = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
        try:
            self._create(meta)
            # The room to record how the run ends is taken before it starts, or it does not
            # start: a run that could not say how it ended would read as a crash.
            self._reserve = self._hold_reserve()
        except (OSError, sqlite3.Error) as exc:
            self._discard()
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise NoRoom(f"no room for a run file in {os.path.dirname(path) or '.'} "
                         f"({RESERVE_BYTES // 1024} KiB are kept free to record how a run "
                         f"ends): {why}") from None
        self._last_commit = time.monotonic()

    def _create(self, meta: dict[str, Any]) -> None:
        # Merged blocks free the pages of the small ones: given back to the file at its end.
        self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(DDL)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self.failed: str | None = None  # why writing stopped
        self._new: dict[str, list[tuple]] = {table: [] for table in READINGS}  # not yet stored
        self._unmerged: dict[str, list[tuple]] = {table: [] for table in READINGS}
        self._small_blocks: dict[str, list[int]] = {table: [] for table in READINGS}
        self.set_meta(meta)
        if self.failed is not None:
            raise sqlite3.OperationalError(self.failed)
        self._db.commit()

    def _discard(self) -> None:
        """A run file that could not be made whole is not left behind half made."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        for leftover in (self.path, self.path + "-wal", self.path + "-shm", self._reserve_path()):
            with contextlib.suppress(OSError):
                os.unlink(leftover)

    def _reserve_path(self) -> str:
        return os.path.join(os.path.dirname(self.path) or ".",
                            "." + os.path.basename(self.path) + ".reserve")

    def _hold_reserve(self) -> str:
        """RESERVE_BYTES on disk (written and synced: a file system that promises room it does
        not have fails here, not at the run's end)."""
        reserve = self._reserve_path()
        fd = os.open(reserve, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(bytes(RESERVE_BYTES))
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
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

    def add_samples(self, rows: Sequence[tuple[float, int, int] | tuple[float, int]]) -> None:
        """Rows of (t, rss, the highest since the previous row); a point sample (t, rss) is its
        own maximum."""
        self._new["samples"].extend(row if len(row) == 3 else (row[0], row[1], row[1])
                                    for row in rows)

    def add_proc(self, rows: list[tuple]) -> None:
        self._new["proc"].extend(rows)

    def add_system(self, rows: list[tuple]) -> None:
        self._new["system"].extend(rows)

    def add_gpu(self, rows: list[tuple]) -> None:
        self._new["gpu"].extend(rows)

    def _store_readings(self, close_all: bool = False) -> None:
        """What came since the last commit, a series at a time: as full blocks where it
        completes one (MERGE_SPAN_S of time, or MAX_BLOCK_ROWS), the rest as a small block
        beside those of the open one (made one at the end)."""
        for table, rows in self._new.items():
            if self.failed is not None:
                return
            self._new[table] = []
            open_rows = self._unmerged[table]
            full, rest = _full_blocks(open_rows, rows)
            if full or (close_all and (self._small_blocks[table] or rest)):
                small, self._small_blocks[table] = self._small_blocks[table], []
                if small:
                    self._write(f"DELETE FROM blocks WHERE rowid IN "
                                f"({','.join('?' * len(small))})", small, many=False)
                for block in full:
                    self._write_block(table, block, final=True)
                if rest and close_all:
                    self._write_block(table, rest, final=True)
                elif rest:
                    self._small_blocks[table] = [self._write_block(table, rest)]
            elif rows:
                self._small_blocks[table].append(self._write_block(table, rows))
            self._unmerged[table] = rest

    def _write_block(self, table: str, rows: list[tuple], final: bool = False) -> int:
        if self.failed is None:
            try:
                return insert_block(self._db, table, rows, REAL_COLUMNS[table], final)
            except sqlite3.Error as exc:
                self.failed = str(exc)
        return -1

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

    @property
    def commit_due(self) -> float:
        """When the next commit is due (monotonic): the engine's loop turns by then."""
        return self._last_commit + COMMIT_EVERY_S

    def maybe_commit(self, now: float) -> None:
        if now - self._last_commit >= COMMIT_EVERY_S:
            self.commit()

    def commit(self) -> None:
        self._last_commit = time.monotonic()
        if self.failed is not None:
            return
        self._store_readings()
        try:
            self._db.commit()
        except sqlite3.Error as exc:
            self.failed = str(exc)

    def finish(self, meta: dict[str, Any], end: tuple[float, str, str, str]) -> None:
        """The run's last words (its end, its figures) committed on their own, then `close`,
        whose merging of blocks may fail on a full disk without losing them. If writing had
        failed, or fails now, the reserve is given back first, so that how the run ended is
        recorded all the same (the readings not yet committed are the ones lost)."""
        for attempt in range(2):
            if self.failed is not None:
                self._release_reserve()
                with contextlib.suppress(sqlite3.Error):
                    self._db.rollback()
                self.failed, lost = None, self.failed
                meta = {**meta, "storage_error": lost}
            if attempt == 0:
                self._store_readings()
            else:  # the reserve must hold the end: long texts (the output's tail) lose their head
                meta = {k: v[-END_TEXT_CHARS:] if isinstance(v, str) else v
                        for k, v in meta.items()}
            self.set_meta(meta)
            self.add_event(*end)
            self.commit()
            if self.failed is None:
                break
        self.close()

    def close(self) -> None:
        """Merges what is left into final blocks and folds the WAL back, so the finished file
        stands alone. Without room to merge, the small blocks stay: the file reads the same."""
        self._release_reserve()
        if self.failed is None:
            self._store_readings(close_all=True)
            self.commit()
            if self.failed is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.rollback()
        try:
            # sqlite3_exec steps it to the end (execute would free one page and stop).
            self._db.executescript("PRAGMA incremental_vacuum;")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error:
            pass  # a follower has it open, or the disk is full: it stays in WAL, readable
        self._db.close()


def _full_blocks(open_rows: list[tuple],
                 rows: list[tuple]) -> tuple[list[list[tuple]], list[tuple]]:
    """The open block's rows and new ones cut into blocks of MERGE_SPAN_S (or MAX_BLOCK_ROWS)
    each, and what is left: the open block itself, extended, while it is not full (a commit
    costs its new rows, not the minute before them)."""
    full: list[list[tuple]] = []
    block = open_rows
    cut = 0  # where the rows of the block being filled begin in `rows`
    for i, row in enumerate(rows):
        first = block[0][0] if block else rows[cut][0]
        if row[0] - first >= MERGE_SPAN_S or len(block) + i - cut >= MAX_BLOCK_ROWS:
            full.append(block + rows[cut:i])
            block, cut = [], i
    block.extend(rows[cut:])
    return full, block
