"""Opening a run file that may come from anyone (docs/threat-model.md): only a regular file with
a SQLite header and a size that matches its page count, opened read-only with its schema
untrusted, holding only memtop's own tables (a view or a trigger would run code of the file's
making), with a time budget on every statement, and contents that are what memtop writes."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from typing import Any

from ..errors import UserError
from ..text import shown
from .run_schema import Damaged, check_run_contents
from .schema import (
    BAD_BLOCKS_SQL,
    BAD_OTHER_ROWS_SQL,
    BLOCKS_INDEX,
    EARLIER_READINGS,
    OPTIONAL_TABLES,
    READINGS,
    TABLES,
    bad_rows_sql,
)

_MAGIC = b"SQLite format 3\x00"
QUERY_BUDGET_S = 20.0  # one statement on a run file; a healthy one-hour file needs well under 1 s


def check_header(path: str) -> None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"run file not found: {path}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise UserError(f"{path}: is a directory, not a run file")
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
        raise UserError(f"{path}: not a regular file, so not a run file")
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise UserError(f"{path}: not a memtop run file (not SQLite)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if os.path.exists(path + "-wal"):
        return  # the rest may be in its write-ahead log: opening it decides
    size = info.st_size
    if page_size < 512 or size % page_size or (pages and size < pages * page_size):
        raise UserError(f"{path}: truncated run file ({size} bytes)")


def check_schema(path: str, db: sqlite3.Connection) -> None:
    """Only memtop's own tables and indexes: a view or a trigger in a file from elsewhere would
    run code of the file's making on every read (a recursive view fills the disk), and an index
    of another making could hold expressions."""
    found: set[str] = set()
    for kind, name, table, sql in db.execute("SELECT type, name, tbl_name, sql "
                                             "FROM sqlite_master"):
        if kind == "table" and name in TABLES:
            found.add(name)
        elif not (kind == "index" and table in TABLES and (
                str(name).startswith("sqlite_autoindex_") or (name, sql) == BLOCKS_INDEX)):
            raise UserError(f"{path}: not a memtop run file (it holds a {shown(kind, 20)} "
                            f"'{shown(name, 60)}')")
    missing = set(TABLES) - OPTIONAL_TABLES - found
    if missing:
        raise UserError(f"{path}: not a memtop run file (no table {', '.join(sorted(missing))})")
    for name in found:
        columns = columns_of(db, name)
        if columns != TABLES[name] and columns != EARLIER_READINGS.get(name):
            raise UserError(f"{path}: not a memtop run file (table {name} has other columns)")


def columns_of(db: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """A table's columns, in order (`table` is one of memtop's own names, never input)."""
    return tuple(row[1] for row in db.execute(f"PRAGMA table_info({table})"))


def check_contents(path: str, db: sqlite3.Connection, meta: dict[str, Any],
                    stages: list[Any]) -> None:
    """What the file holds is what memtop writes (run_schema.py), before anything uses it."""
    try:
        check_run_contents(meta, stages)
    except Damaged as exc:
        raise UserError(f"{path}: damaged run file ({exc})") from None
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in READINGS:
        if table in tables and db.execute(bad_rows_sql(table, columns_of(db, table))
                                          ).fetchone()[0]:
            raise UserError(f"{path}: damaged run file (bad values in its {table} table)")
    if "blocks" in tables and db.execute(BAD_BLOCKS_SQL).fetchone()[0]:
        raise UserError(f"{path}: damaged run file (bad values in its blocks table)")
    for table, sql in BAD_OTHER_ROWS_SQL.items():
        if table in tables and db.execute(sql).fetchone()[0]:
            raise UserError(f"{path}: damaged run file (bad values in its {table} table)")


def open_read_only(path: str) -> sqlite3.Connection:
    """Read-only, with the file's schema untrusted and every statement on a time budget."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    db.execute("PRAGMA trusted_schema=OFF")
    db.execute("PRAGMA query_only=ON")
    started = [time.monotonic()]

    def over_budget() -> int:
        return 1 if time.monotonic() - started[0] > QUERY_BUDGET_S else 0

    db.set_progress_handler(over_budget, 100_000)
    db.set_trace_callback(lambda _sql: started.__setitem__(0, time.monotonic()))
    return db
