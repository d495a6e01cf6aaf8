"""Readings stored in compressed blocks (run files of schema 3): a row of `blocks` holds many
rows of one series (samples, proc, system, gpu), column by column.

Why: at 200 samples a second a row per reading costs about 24 bytes of SQLite a sample, so a
72-hour run filled over a gigabyte (issue #15). In blocks, each column is stored as the
differences between neighbours (times in microseconds, sizes in bytes: mostly small numbers),
its bytes shuffled by significance (all lowest bytes first: the zeros of small numbers end up
together, as Blosc does), then zlib: one or two bytes a sample. Times round-trip exactly: the
engine gives readings microsecond times (monitor/live_run.py), and a time that microseconds
cannot give back bit for bit is kept as it was, beside the block.

A block is a msgpack map {n, cols: [bytes…], nulls: [[index…]…], exact: [[index, t]…],
rel: [[column, base]…]}, compressed. A column named in `rel` is stored as its excess over its
base column, not as differences (a sample's `high` is its RSS most of the time: zeros).
A block's few extreme rows are kept plain instead, a msgpack map {rows: [[t, …]…]}: a view of
days reads thousands of them, and decoding a compressed one cost 29 µs, a plain one 4.
Decoding trusts nothing: lengths and types are checked, times must be finite, and a block may
not inflate past MAX_BLOCK_BYTES.
"""

from __future__ import annotations

import functools
import itertools
import lzma
import math
import zlib
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

import msgpack

from .schema import MAX_BLOCK_ROWS

# What the largest block a writer makes inflates to (MAX_BLOCK_ROWS of 8 columns of 8 bytes, and
# its nulls), with room: a block that inflates further is damaged, not read.
MAX_BLOCK_BYTES = 16 * 1024 * 1024
_TICKS = 1e6  # a time's unit in a block: microseconds
_XZ_MAGIC = b"\xfd7zXZ\x00"
_PLAIN_MAGIC = b"\x81"  # a msgpack map of one key; zlib starts 0x78, xz 0xfd
# xz's preset 6 with a 1 MiB dictionary instead of 8: a block is smaller than that, so it
# compresses the same, and the encoder takes 11 MiB instead of 94 (which the engine kept).
_XZ = [{"id": lzma.FILTER_LZMA2, "preset": 6, "dict_size": 1 << 20}]


class BadBlock(ValueError):
    """A block that no memtop writer makes."""


def _deltas(values: Sequence[int]) -> array:
    return array("q", [b - a for a, b in zip(itertools.chain((0,), values), values,
                                             strict=False)])  # the first against 0


def _shuffled(column: array) -> bytes:
    data = column.tobytes()
    return b"".join(data[k::8] for k in range(8))


def _unshuffled(data: bytes) -> bytes:
    n = len(data) // 8
    out = bytearray(len(data))
    for k in range(8):
        out[k::8] = data[k * n:(k + 1) * n]
    return bytes(out)


def encode(rows: Sequence[Sequence[Any]], real: Sequence[bool], final: bool = False,
           relative: dict[int, int] | None = None) -> bytes:
    """Rows of one series (t first; `real` says which columns are floats) as one block: zlib,
    or for a `final` block (a full one, written once a minute) xz, a third smaller and slower.
    `relative`: integer columns stored as their excess over another (column -> base)."""
    relative = relative or {}
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in real]
    stored: list[bytes] = []
    nulls: list[list[int]] = []
    exact: list[list[float]] = []
    times = [round(t * _TICKS) for t in columns[0]]
    for i, (t, ns) in enumerate(zip(columns[0], times, strict=True)):
        if ns / _TICKS != t:
            exact.append([i, t])
    stored.append(_shuffled(_deltas(times)))
    nulls.append([])
    for k, (values, is_real) in enumerate(zip(columns[1:], real[1:], strict=True), 1):
        missing = [i for i, v in enumerate(values) if v is None]
        if k in relative:
            base = columns[relative[k]]
            stored.append(_shuffled(array("q", [0 if v is None or b is None else v - b
                                                for v, b in zip(values, base, strict=True)])))
        elif is_real:
            stored.append(_shuffled(array("d", [0.0 if v is None else v for v in values])))
        else:
            stored.append(_shuffled(_deltas([0 if v is None else v for v in values])))
        nulls.append(missing)
    block = {"n": len(rows), "cols": stored, "nulls": nulls, "exact": exact}
    if relative:
        block["rel"] = [[k, b] for k, b in sorted(relative.items())]
    packed = msgpack.packb(block, use_bin_type=True)
    return lzma.compress(packed, format=lzma.FORMAT_XZ, filters=_XZ) if final else \
        zlib.compress(packed, 6)


def encode_plain(rows: Sequence[Sequence[Any]], real: Sequence[bool]) -> bytes:
    """A handful of rows (a block's extremes), uncompressed: quick to read back. Real columns
    as floats, as a compressed block gives them back."""
    plain = [[v if v is None or not r else float(v) for v, r in zip(row, real, strict=True)]
             for row in rows]
    return msgpack.packb({"rows": plain}, use_bin_type=True)


def _decode_plain(blob: bytes, real: Sequence[bool]) -> list[tuple]:
    """A view of days decodes thousands of these: the checks are a loop, not generators."""
    try:
        rows = msgpack.unpackb(blob, raw=False, strict_map_key=False, use_list=False)["rows"]
        out = list(rows)
    except Exception as exc:  # msgpack raises several types for bad bytes
        raise BadBlock(f"a block that does not decode ({type(exc).__name__})") from None
    kinds = _kinds(tuple(real))
    for row in out:
        if type(row) is not tuple or len(row) != len(kinds) or type(row[0]) is not float \
                or not math.isfinite(row[0]):
            raise BadBlock("a block of the wrong shape (a plain row)")
        for value, kind in zip(row, kinds):  # noqa: B905 (lengths checked above)
            if value is not None and type(value) is not kind:
                raise BadBlock("a block of the wrong shape (a plain row)")
    return out


@functools.cache
def _kinds(real: tuple[bool, ...]) -> tuple[type, ...]:
    return tuple(float if r else int for r in real)


def _relative(pairs: Any, real: Sequence[bool]) -> dict[int, int]:
    """A block's `rel`, checked: integer columns each stored over an earlier integer one."""
    found: dict[int, int] = {}
    for column, base in pairs:
        if not (type(column) is int and type(base) is int and 0 < base < column < len(real)
                and not real[column] and not real[base]):
            raise BadBlock("a block whose relative columns do not match")
        found[column] = base
    return found


def decode(blob: Any, real: Sequence[bool]) -> list[tuple]:
    """The rows of a block, as they were written; BadBlock for anything else."""
    if not isinstance(blob, bytes):
        raise BadBlock("a block that is not bytes")
    if blob[:1] == _PLAIN_MAGIC:
        return _decode_plain(blob, real)
    try:
        if blob.startswith(_XZ_MAGIC):
            inflater: Any = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
            packed = inflater.decompress(blob, MAX_BLOCK_BYTES)
            too_big = not inflater.eof
        else:
            inflater = zlib.decompressobj()
            packed = inflater.decompress(blob, MAX_BLOCK_BYTES)
            too_big = bool(inflater.unconsumed_tail)
        if too_big:
            raise BadBlock(f"a block over {MAX_BLOCK_BYTES:,} bytes, or cut short")
        block = msgpack.unpackb(packed, raw=False, strict_map_key=False)
    except BadBlock:
        raise
    except Exception as exc:  # zlib, lzma and msgpack raise several types for bad bytes
        raise BadBlock(f"a block that does not decode ({type(exc).__name__})") from None
    try:
        n, stored, nulls, exact = block["n"], block["cols"], block["nulls"], block["exact"]
        if not (isinstance(n, int) and 0 <= n <= MAX_BLOCK_ROWS
                and len(stored) == len(real) == len(nulls)
                and all(isinstance(c, bytes) and len(c) == 8 * n for c in stored)):
            raise BadBlock("a block whose columns do not match")
        relative = _relative(block.get("rel", []), real)
        columns: list[list[Any]] = []
        for k, (data, is_real, missing) in enumerate(zip(stored, [False, *real[1:]], nulls,
                                                         strict=True)):  # t: in ns
            values = array("d" if is_real else "q")
            values.frombytes(_unshuffled(data))
            column: list[Any] = list(values) if is_real or k in relative else \
                list(itertools.accumulate(values))
            if k in relative:  # its base was decoded before it
                column = [v + (b or 0) for v, b in zip(column, columns[relative[k]],
                                                        strict=True)]
            for i in missing:
                column[i] = None
            columns.append(column)
        columns[0] = [ns / _TICKS for ns in columns[0]]
        for i, t in exact:
            columns[0][i] = float(t)
    except BadBlock:
        raise
    except (KeyError, TypeError, IndexError, OverflowError, ValueError) as exc:
        raise BadBlock(f"a block of the wrong shape ({type(exc).__name__})") from None
    if not all(map(math.isfinite, columns[0])):
        raise BadBlock("a time that is not a finite number")
    return list(zip(*columns, strict=True))


# ---- summaries: the rows that hold a block's extremes, bucket by bucket -----------------------

# series -> (bucket seconds, (column, largest?) whose extremes every bucket keeps). A summary is
# itself a block of real rows (each bucket's extreme rows, and the block's last), so a long
# window read from summaries folds into the very figures the whole would: peaks, swap, pressure.
# A sample's high (column 2) is never below its RSS (a point sample is its own maximum), so the
# row of each second's highest maximum bounds that second's RSS too: keeping the row of its
# highest RSS as well doubled a days-long view's rows for no higher figure (BENCHMARKS.md).
SUMMARIES: dict[str, tuple[float, tuple[tuple[int, bool], ...]]] = {
    "samples": (1.0, ((2, True),)),
    "proc": (1.0, ((1, True), (2, True), (3, True), (6, True))),
    "system": (10.0, ((1, False), (4, True), (5, True), (6, True))),
    "gpu": (1.0, ((1, True), (2, True))),
}


def summarize(series: str, rows: Sequence[Sequence[Any]],
              seconds: float | None = None) -> list[Sequence[Any]]:
    """The rows holding each bucket's extremes (buckets of the series' seconds, or the ones
    given), and the last row."""
    default_seconds, extremes = SUMMARIES[series]
    seconds = seconds or default_seconds
    kept: dict[int, Sequence[Any]] = {}  # row index -> row
    best: dict[tuple[int, int], int] = {}  # (bucket, column) -> row index of its extreme
    for i, row in enumerate(rows):
        bucket = int(row[0] // seconds)
        for column, largest in extremes:
            value = row[column]
            if value is None:
                continue
            j = best.get((bucket, column))
            if j is None or (value > rows[j][column] if largest else value < rows[j][column]):
                best[(bucket, column)] = i
    for i in {*best.values(), len(rows) - 1}:
        kept[i] = rows[i]
    return [kept[i] for i in sorted(kept)]


# ---- the `blocks` table ---------------------------------------------------------------------

# series -> columns stored over another (column -> base): a sample's high over its RSS.
RELATIVE: dict[str, dict[int, int]] = {"samples": {2: 1}}

def insert_block(db: Any, series: str, rows: Sequence[Sequence[Any]], real: Sequence[bool],
                 final: bool = False) -> int:
    """Stores rows of one series as a block; its rowid. A final block has its summaries (each
    second's extreme rows, and the whole block's: what a view of days reads); a provisional one
    (the rows of one commit, replaced within a minute) has empty ones, which cost nothing to
    make: readers read its rows."""
    if final:
        seconds = summarize(series, rows)
        summaries = encode(seconds, real, relative=RELATIVE.get(series)), \
            encode_plain(summarize(series, seconds, 1e9), real)
    else:
        summaries = (_empty(real),) * 2
    # A provisional block is plain rows: compressing a commit's few rows cost more than its
    # SQLite insert, for bytes that live a minute (docs/BENCHMARKS.md, "Interval maxima").
    data = encode(rows, real, final, RELATIVE.get(series)) if final else \
        encode_plain(rows, real)
    cursor = db.execute("INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (series, rows[0][0], rows[-1][0], len(rows), data, *summaries))
    return int(cursor.lastrowid)


@functools.cache
def _empty(real: tuple[bool, ...]) -> bytes:
    return encode([], real)


def block_rows(db: Any, series: str, real: Sequence[bool]) -> Iterator[tuple]:
    """Every row of a series in time order, a block at a time (windows.py reads a window)."""
    for (blob,) in db.execute("SELECT data FROM blocks WHERE series = ? ORDER BY rowid",
                              (series,)):
        yield from decode(blob, real)
