"""The run file's tables, built from the message fields they store (engine/messages.py), so a
row read back becomes a message by zipping it with its fields. Sizes are bytes and times are
seconds (monotonic clock) in files."""

from __future__ import annotations

from collections.abc import Sequence

from ..messages import GPU_FIELDS, PROC_FIELDS, SAMPLE_FIELDS, SYSTEM_FIELDS

SCHEMA_VERSION = 2  # 2: the `output` table (version 1 files are read as ever)
SUFFIX = ".db"
# Rows of the sampler's readings: table -> columns (the message fields, in order).
READINGS: dict[str, tuple[str, ...]] = {"samples": SAMPLE_FIELDS, "proc": PROC_FIELDS,
                                        "system": SYSTEM_FIELDS, "gpu": GPU_FIELDS}
_REAL = {"t", "psi_some", "psi_full"}
_NOT_NULL = {("samples", "rss")}


def _columns(table: str, fields: Sequence[str]) -> str:
    def column(name: str) -> str:
        kind = "REAL" if name in _REAL else "INTEGER"
        required = name == "t" or (table, name) in _NOT_NULL
        return f"{name} {kind}" + (" NOT NULL" if required else "")

    return ", ".join(column(name) for name in fields)


DDL = "\n".join([
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    *(f"CREATE TABLE {table} ({_columns(table, fields)});" for table, fields in READINGS.items()),
    "CREATE TABLE stages (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, t REAL NOT NULL, "
    "t_end REAL NOT NULL, data TEXT NOT NULL);",
    "CREATE TABLE events (t REAL NOT NULL, kind TEXT NOT NULL, level TEXT NOT NULL, "
    "message TEXT NOT NULL, data TEXT);",
    "CREATE TABLE output (t REAL NOT NULL, stream INTEGER NOT NULL, data BLOB NOT NULL);",
])


# Every table a run file may hold, with its columns: a reader accepts these and nothing else
# (no views, no triggers, no other tables). `gpu` is missing in files from before GPU support.
TABLES: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"), **READINGS,
    "stages": ("seq", "name", "t", "t_end", "data"),
    "events": ("t", "kind", "level", "message", "data"),
    "output": ("t", "stream", "data"),  # zlib-compressed bytes of stream 1 or 2
}
OPTIONAL_TABLES = {"gpu", "output"}


def bad_rows_sql(table: str) -> str:
    """Counts the rows of a readings table whose values are not what memtop writes: a time
    that is not a finite number, a size that is not a whole number (SQLite stores any type in
    any column)."""
    checks = ["typeof(t) NOT IN ('real', 'integer') OR abs(t) > 1e300"]
    for name in READINGS[table][1:]:
        kinds = "'real', 'integer'" if name in _REAL else "'integer'"
        allowed = f"typeof({name}) IN ({kinds})" + ("" if (table, name) in _NOT_NULL
                                                     else f" OR {name} IS NULL")
        checks.append(f"NOT ({allowed})")
    return f"SELECT count(*) FROM {table} WHERE " + " OR ".join(checks)


def insert_sql(table: str) -> str:
    fields = READINGS[table]
    return f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})"


def select_sql(table: str, after_rowid: bool = False) -> str:
    """Rows in rowid order, which is time order (rows are written as they come)."""
    where = " WHERE rowid > ?" if after_rowid else ""
    return f"SELECT rowid, {', '.join(READINGS[table])} FROM {table}{where} ORDER BY rowid"
