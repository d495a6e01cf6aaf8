"""The run file's tables, built from the message fields they store (engine/messages.py), so a
row read back becomes a message by zipping it with its fields. Sizes are bytes and times are
seconds (monotonic clock) in files."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from ..messages import GPU_FIELDS, PROC_FIELDS, SAMPLE_FIELDS, SYSTEM_FIELDS

# 2: the `output` table; 3: readings in compressed `blocks` (blocks.py), their own tables left
# empty; 4: a sample's `high`, the highest RSS since the previous sample (interval maxima);
# 5: blocks indexed by series and time, the index holding each block's extremes (BLOCKS_INDEX).
# Files of every version are read.
SCHEMA_VERSION = 5
SUFFIX = ".db"
# Rows of the sampler's readings: table -> columns (the message fields, in order).
READINGS: dict[str, tuple[str, ...]] = {"samples": SAMPLE_FIELDS, "proc": PROC_FIELDS,
                                        "system": SYSTEM_FIELDS, "gpu": GPU_FIELDS}
_REAL = {"t", "psi_some", "psi_full"}
_NOT_NULL = {("samples", "rss"), ("samples", "high")}
# What files before schema 4 keep of a series whose columns have grown since.
EARLIER_READINGS: dict[str, tuple[str, ...]] = {"samples": ("t", "rss")}


def _columns(table: str, fields: Sequence[str]) -> str:
    def column(name: str) -> str:
        kind = "REAL" if name in _REAL else "INTEGER"
        required = name == "t" or (table, name) in _NOT_NULL
        return f"{name} {kind}" + (" NOT NULL" if required else "")

    return ", ".join(column(name) for name in fields)


# A series' blocks by time, holding their extremes: finding a window's blocks and reading a view
# of days take this index alone. Without it each query walked every block's pages, and the
# extremes, stored after a block's data, each block's overflow pages (docs/BENCHMARKS.md).
BLOCKS_INDEX = ("blocks_by_time",
                "CREATE INDEX blocks_by_time ON blocks (series, t1, t0, extremes)")
DDL = "\n".join([
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    *(f"CREATE TABLE {table} ({_columns(table, fields)});" for table, fields in READINGS.items()),
    "CREATE TABLE stages (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, t REAL NOT NULL, "
    "t_end REAL NOT NULL, data TEXT NOT NULL);",
    "CREATE TABLE events (t REAL NOT NULL, kind TEXT NOT NULL, level TEXT NOT NULL, "
    "message TEXT NOT NULL, data TEXT);",
    "CREATE TABLE output (t REAL NOT NULL, stream INTEGER NOT NULL, data BLOB NOT NULL);",
    "CREATE TABLE blocks (series TEXT NOT NULL, t0 REAL NOT NULL, t1 REAL NOT NULL, "
    "n INTEGER NOT NULL, data BLOB NOT NULL, summary BLOB NOT NULL, extremes BLOB NOT NULL);",
    f"{BLOCKS_INDEX[1]};",
])
# Which columns of each readings table are floats (the others are whole numbers or NULL).
REAL_COLUMNS: dict[str, tuple[bool, ...]] = {
    table: tuple(name in _REAL for name in fields) for table, fields in READINGS.items()}


# Every table a run file may hold, with its columns: a reader accepts these and nothing else
# (no views, no triggers, no other tables). `gpu` is missing in files from before GPU support.
TABLES: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"), **READINGS,
    "stages": ("seq", "name", "t", "t_end", "data"),
    "events": ("t", "kind", "level", "message", "data"),
    "output": ("t", "stream", "data"),  # zlib-compressed bytes of stream 1 or 2
    # readings, compressed (blocks.py): all rows, each second's extreme rows, the block's
    "blocks": ("series", "t0", "t1", "n", "data", "summary", "extremes"),
}
OPTIONAL_TABLES = {"gpu", "output", "blocks"}


def stored_fields(table: str, version: int) -> tuple[str, ...]:
    """The columns a file of schema `version` keeps of a readings table."""
    return EARLIER_READINGS.get(table, READINGS[table]) if version < 4 else READINGS[table]


@functools.cache  # asked once a block: a view of days decodes thousands
def stored_real(table: str, version: int) -> tuple[bool, ...]:
    return tuple(name in _REAL for name in stored_fields(table, version))


def widened(table: str, version: int, rows: Iterable[tuple]) -> Iterable[tuple]:
    """Rows of an earlier file as this version's: a sample's `high` is its own RSS (a point
    sample is its own maximum)."""
    if version < 4 and table == "samples":
        return ((*row, row[1]) for row in rows)
    return rows


def bad_rows_sql(table: str, fields: Sequence[str] | None = None) -> str:
    """Counts the rows of a readings table whose values are not what memtop writes: a time
    that is not a finite number, a size that is not a whole number (SQLite stores any type in
    any column)."""
    checks = ["typeof(t) NOT IN ('real', 'integer') OR abs(t) > 1e300"]
    for name in (fields or READINGS[table])[1:]:
        kinds = "'real', 'integer'" if name in _REAL else "'integer'"
        allowed = f"typeof({name}) IN ({kinds})" + ("" if (table, name) in _NOT_NULL
                                                     else f" OR {name} IS NULL")
        checks.append(f"NOT ({allowed})")
    return f"SELECT count(*) FROM {table} WHERE " + " OR ".join(checks)


# A block holds at most this many rows (200 samples a second: 8 minutes; 6 MiB decoded), and at
# most MAX_ROWS_PER_S a second of the time it spans (sampling is at most 2,000 a second): a file
# whose blocks claim more is damaged before one is inflated (a decompression bomb).
MAX_BLOCK_ROWS = 100_000
MAX_ROWS_PER_S = 4_000

BAD_BLOCKS_SQL = (
    "SELECT count(*) FROM blocks WHERE typeof(series) != 'text' OR series NOT IN ("
    + ", ".join(f"'{table}'" for table in READINGS) + ") OR typeof(t0) NOT IN ('real', "
    "'integer') OR typeof(t1) NOT IN ('real', 'integer') OR abs(t0) > 1e300 OR abs(t1) > 1e300 "
    "OR typeof(n) != 'integer' OR n < 0 OR typeof(data) != 'blob' OR typeof(summary) != 'blob' "
    f"OR typeof(extremes) != 'blob' OR n > {MAX_BLOCK_ROWS} "
    f"OR n > (t1 - t0) * {MAX_ROWS_PER_S} + 16 OR t1 < t0")


_TIME_OK = "typeof({0}) IN ('real', 'integer') AND abs({0}) <= 1e12"
# The other tables' rows as memtop writes them (SQLite keeps any type in any column).
BAD_OTHER_ROWS_SQL = {
    "events": "SELECT count(*) FROM events WHERE NOT (" + _TIME_OK.format("t") + " AND "
              "typeof(kind) = 'text' AND typeof(level) = 'text' AND typeof(message) = 'text' "
              "AND (data IS NULL OR typeof(data) = 'text'))",
    "output": "SELECT count(*) FROM output WHERE NOT (" + _TIME_OK.format("t") + " AND "
              "typeof(stream) = 'integer' AND typeof(data) = 'blob')",
    "stages": "SELECT count(*) FROM stages WHERE NOT (" + _TIME_OK.format("t") + " AND "
              + _TIME_OK.format("t_end") + " AND typeof(name) = 'text' AND "
              "typeof(data) = 'text')",
}


def insert_sql(table: str) -> str:
    fields = READINGS[table]
    return f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})"


def select_sql(table: str, after_rowid: bool = False, version: int = SCHEMA_VERSION) -> str:
    """Rows in rowid order, which is time order (rows are written as they come)."""
    where = " WHERE rowid > ?" if after_rowid else ""
    fields = stored_fields(table, version)
    return f"SELECT rowid, {', '.join(fields)} FROM {table}{where} ORDER BY rowid"
