"""Run files: one SQLite file per run, written while the run goes, read by every report and screen.

Writing uses WAL with commits at most every 200 ms, so a crash of any process loses at most the
last fraction of a second; a finished run is checkpointed back to a single self-contained file, to
be copied elsewhere and replayed. Sizes are bytes and times are seconds (monotonic clock) in files.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import UserError
from .procfs import boot_id, is_alive

SCHEMA_VERSION = 1
# With the engine's 50 ms pump, a crash loses at most COMMIT_EVERY_S + 0.05 = 0.2 s of data.
COMMIT_EVERY_S = 0.15
SUFFIX = ".db"
_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE samples (t REAL NOT NULL, rss INTEGER NOT NULL);
CREATE TABLE proc (t REAL NOT NULL, rss INTEGER, hwm INTEGER, swap INTEGER, anon INTEGER,
                   file INTEGER, nproc INTEGER);
CREATE TABLE system (t REAL NOT NULL, mem_available INTEGER, swap_total INTEGER,
                     swap_free INTEGER, psi_some REAL, psi_full REAL,
                     cgroup_usage INTEGER, cgroup_limit INTEGER);
CREATE TABLE stages (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, t REAL NOT NULL,
                     t_end REAL NOT NULL, data TEXT NOT NULL);
CREATE TABLE events (t REAL NOT NULL, kind TEXT NOT NULL, level TEXT NOT NULL,
                     message TEXT NOT NULL, data TEXT);
CREATE TABLE gpu (t REAL NOT NULL, used INTEGER, device_used INTEGER, device_total INTEGER);
"""


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
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self.set_meta(meta)
        self._db.commit()
        self._last_commit = time.monotonic()

    def set_meta(self, values: dict[str, Any]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             [(k, json.dumps(v)) for k, v in values.items()])

    def add_samples(self, rows: list[tuple[float, int]]) -> None:
        self._db.executemany("INSERT INTO samples VALUES (?, ?)", rows)

    def add_proc(self, rows: list[tuple]) -> None:
        self._db.executemany("INSERT INTO proc VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def add_system(self, rows: list[tuple]) -> None:
        self._db.executemany("INSERT INTO system VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def add_gpu(self, rows: list[tuple]) -> None:
        self._db.executemany("INSERT INTO gpu VALUES (?, ?, ?, ?)", rows)

    def add_stage(self, seq: int, stage: dict[str, Any]) -> None:
        self._db.execute("INSERT INTO stages VALUES (?, ?, ?, ?, ?)",
                         (seq, stage["name"], stage["t"], stage["t_end"], json.dumps(stage)))

    def add_event(self, t: float, kind: str, level: str, message: str,
                  data: dict[str, Any] | None = None) -> None:
        self._db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                         (t, kind, level, message, json.dumps(data) if data else None))

    def samples(self) -> list[tuple[float, int]]:
        return self._db.execute("SELECT t, rss FROM samples ORDER BY t").fetchall()

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


@dataclass
class Run:
    """A run file read back: metadata, stages, events; samples on demand."""

    path: str
    meta: dict[str, Any]
    stages: list[dict[str, Any]]
    events: list[dict[str, Any]]
    _db: sqlite3.Connection = field(repr=False)
    _rows: dict[str, list[tuple]] = field(default_factory=dict, repr=False)

    @property
    def spec(self) -> dict[str, Any]:
        """What the run was asked to do (RunSpec as stored; empty for older files)."""
        return self.meta.get("spec") or {}

    @property
    def run_id(self) -> str:
        return self.meta.get("run_id", os.path.basename(self.path).removesuffix(SUFFIX))

    # Rows are written in time order, so rowid order is time order: no sort over 720,000 rows.
    # A run file read back does not change (a file being written is followed by RunFollower,
    # which queries on its own), so each table is read once.
    def samples(self) -> list[tuple[float, int]]:
        return self._cached("SELECT t, rss FROM samples ORDER BY rowid")

    def proc(self) -> list[tuple]:
        return self._cached("SELECT t, rss, hwm, swap, anon, file, nproc FROM proc ORDER BY rowid")

    def system(self) -> list[tuple]:
        return self._cached("SELECT * FROM system ORDER BY rowid")

    def gpu(self) -> list[tuple]:
        """(t, used by the session, device used, device total); empty without a GPU."""
        if not self.has_table("gpu"):
            return []
        return self._cached("SELECT t, used, device_used, device_total FROM gpu ORDER BY rowid")

    def _cached(self, sql: str) -> list[tuple]:
        if sql not in self._rows:
            self._rows[sql] = self._query(sql)
        return self._rows[sql]

    def has_table(self, name: str) -> bool:
        return bool(self._query(f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                f"name = '{name}'"))

    def _query(self, sql: str) -> list[tuple]:
        try:
            return self._db.execute(sql).fetchall()
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: damaged run file ({exc})") from None

    def close(self) -> None:
        self._db.close()


def _check_header(path: str) -> None:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        raise UserError(f"run file not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a run file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise UserError(f"{path}: not a memtop run file (not SQLite)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if page_size < 512 or size % page_size or (pages and size < pages * page_size):
        raise UserError(f"{path}: truncated run file ({size} bytes)")


def read_run(path: str) -> Run:
    """Opens a run file or raises UserError with one clear line."""
    _check_header(path)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            db.close()
            raise UserError(f"{path}: made by a newer memtop (schema {version}, "
                            f"this memtop reads up to {SCHEMA_VERSION}): upgrade memtop")
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            db.close()
            raise UserError(f"{path}: damaged run file (integrity check failed)")
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        stages = [json.loads(d) for (d,) in db.execute("SELECT data FROM stages ORDER BY seq")]
        events = [{"t": t, "kind": k, "level": lv, "message": m,
                   "data": json.loads(d) if d else None}
                  for t, k, lv, m, d in db.execute("SELECT * FROM events ORDER BY t")]
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{path}: not a readable memtop run file ({exc})") from None
    except (ValueError, TypeError) as exc:  # JSON in a damaged row
        raise UserError(f"{path}: damaged run file ({exc})") from None
    if "run_id" not in meta:
        db.close()
        raise UserError(f"{path}: not a memtop run file (no run metadata)")
    _mark_interrupted(meta)
    return Run(path=path, meta=meta, stages=stages, events=events, _db=db)


def _mark_interrupted(meta: dict[str, Any]) -> None:
    """A run still marked running whose session is gone on this machine, or that began before
    this boot, was never finalized: its engine crashed or was killed. Say so."""
    if meta.get("status") != "running" or not meta.get("boot_id"):
        return
    same_boot = meta["boot_id"] == boot_id()
    if same_boot and (meta.get("engine_host") != socket.gethostname() or
                      is_alive(int(meta.get("pid") or 0))):
        return  # still going (or another machine's: unknown)
    meta["status"] = "interrupted"
    meta["cause"] = "the engine stopped before finishing this run (crash or kill)"


def list_run_files(runs_dir: str) -> list[str]:
    """Run files in runs_dir, newest first."""
    try:
        names = [n for n in os.listdir(runs_dir) if n.endswith(SUFFIX)]
    except FileNotFoundError:
        return []
    paths = [os.path.join(runs_dir, n) for n in names]
    return sorted(paths, key=lambda p: (os.path.getmtime(p), p), reverse=True)


def resolve_run(ref: str, runs_dir: str) -> str:
    """RUN in every command: a path, a run id (or a unique prefix of one), or `latest`."""
    if ref == "latest":
        files = list_run_files(runs_dir)
        if not files:
            raise UserError(f"no runs in {runs_dir}")
        return files[0]
    if os.path.exists(ref) or os.sep in ref or ref.endswith(SUFFIX):
        return ref
    exact = os.path.join(runs_dir, ref + SUFFIX)
    if os.path.exists(exact):
        return exact
    matches = [p for p in list_run_files(runs_dir) if os.path.basename(p).startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UserError(f"run id '{ref}' is ambiguous: {len(matches)} runs in {runs_dir} match")
    raise UserError(f"run not found: '{ref}' is neither a file nor a run id in {runs_dir}")
