"""Damaged run files by the thousand, and every reading command run on each (issue #26, 3).

A variant changes one thing in a real run file: a metadata value, a value inside one (summary,
stats, spec, leak…), a stage's field, an event, a block of readings or the program's output, to
a wrong type, an out-of-range number (10^400, 1e308, -1e18, NaN, Infinity), an empty or deeply
nested value, or removes it. `run_commands` runs each reading command in this process (the CLI's
own `main`, so a traceback is a raised exception here) and says what went wrong.

    python tests/fuzz_run_files.py BASE.db GOOD.db [N]   # every variant (or N), as a report
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
import sqlite3
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import msgpack

DEEP = "[" * 100_000 + "]" * 100_000
# Raw JSON texts put where a value was (the writer never makes most of them).
VALUES = ("null", '"x"', "-1", "1" + "0" * 400, "1e308", "-1e18", "-1e11", "1e20", "NaN",
          "Infinity", "[]", "{}", "true", '"' + "x" * 5000 + '"', DEEP)
META_DICTS = ("summary", "stats", "spec", "leak", "bench", "versions", "fit", "memory_limit",
              "inputs", "cluster")
Mutation = Callable[[sqlite3.Connection], None]


def variants(base: Path) -> Iterator[tuple[str, Mutation]]:
    """(what it changes, how) for every variant of the run file at `base`."""
    with sqlite3.connect(base) as db:
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        stage = json.loads(db.execute("SELECT data FROM stages ORDER BY seq").fetchone()[0])
    for key in sorted({*meta, *META_DICTS, "workers", "command"}):
        yield f"meta {key} removed", _meta_removed(key)
        for value in VALUES:
            yield f"meta {key} = {value[:12]}", _meta_set(key, value)
    for key in META_DICTS:
        inner = meta.get(key) if isinstance(meta.get(key), dict) else {}
        for sub in sorted(inner):
            for value in VALUES:
                yield f"meta {key}.{sub} = {value[:12]}", _meta_inner(key, sub, value)
    for key in sorted(stage):
        yield f"stage {key} removed", _stage_edit(key, None)
        for value in VALUES:
            yield f"stage {key} = {value[:12]}", _stage_edit(key, value)
    for value in VALUES:
        yield f"stage data = {value[:12]}", _stage_data(value)
        yield f"event data = {value[:12]}", _event_data(value)
    yield "event t = NaN", lambda db: db.execute("UPDATE events SET t = 'NaN'")
    yield "event kind = NULL text", lambda db: db.execute("UPDATE events SET kind = 'x\x1b[2J'")
    yield "stage t reversed", lambda db: db.execute("UPDATE stages SET t = -t")
    yield "stages time travel", _stages_backwards
    yield "plain block with a null rss", _plain_block([[1.0, None]])
    yield "plain block with text time", _plain_block([["x", 5]])
    yield "plain block with 2^64-1", _plain_block([[1.0, 2 ** 64 - 1]])
    yield "plain block with a huge time", _plain_block([[1e300, 5]])
    yield "plain block nested", _plain_block([[[[[1.0]]]]])
    yield "output bomb (40 chunks of 64 MiB)", _output_bomb(40)
    yield "block bomb (100 blocks of 63 MiB)", _block_bomb(100)


def _meta_removed(key: str) -> Mutation:
    return lambda db: db.execute("DELETE FROM meta WHERE key = ?", (key,))


def _meta_set(key: str, value: str) -> Mutation:
    return lambda db: db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _meta_inner(key: str, sub: str, value: str) -> Mutation:
    def mutate(db: sqlite3.Connection) -> None:
        (text,) = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        outer = json.loads(text)
        marker = "\x00MARK\x00"
        outer[sub] = marker
        db.execute("UPDATE meta SET value = ? WHERE key = ?",
                   (json.dumps(outer).replace(json.dumps(marker), value), key))
    return mutate


def _stage_edit(key: str, value: str | None) -> Mutation:
    def mutate(db: sqlite3.Connection) -> None:
        seq, text = db.execute("SELECT seq, data FROM stages ORDER BY seq").fetchone()
        stage = json.loads(text)
        if value is None:
            del stage[key]
            data = json.dumps(stage)
        else:
            marker = "\x00MARK\x00"
            stage[key] = marker
            data = json.dumps(stage).replace(json.dumps(marker), value)
        db.execute("UPDATE stages SET data = ? WHERE seq = ?", (data, seq))
    return mutate


def _stage_data(value: str) -> Mutation:
    return lambda db: db.execute("UPDATE stages SET data = ? WHERE seq = "
                                 "(SELECT min(seq) FROM stages)", (value,))


def _event_data(value: str) -> Mutation:
    return lambda db: db.execute("UPDATE events SET data = ?", (value,))


def _stages_backwards(db: sqlite3.Connection) -> None:
    for seq, text in db.execute("SELECT seq, data FROM stages").fetchall():
        stage = json.loads(text)
        for key in ("t", "t_end", "t_start"):
            if isinstance(stage.get(key), float):
                stage[key] = 1e6 - stage[key]
        db.execute("UPDATE stages SET data = ? WHERE seq = ?", (json.dumps(stage), seq))


def _plain_block(rows: list) -> Mutation:
    def mutate(db: sqlite3.Connection) -> None:
        data = b"\x81" + msgpack.packb("rows") + msgpack.packb(rows)
        db.execute("UPDATE blocks SET data = ? WHERE rowid = (SELECT min(rowid) FROM blocks "
                   "WHERE series = 'samples')", (data,))
    return mutate


def _output_bomb(chunks: int) -> Mutation:
    blob = zlib.compress(bytes(64 * 1024 * 1024 - 1024), 9)

    def mutate(db: sqlite3.Connection) -> None:
        db.executemany("INSERT INTO output VALUES (?, 1, ?)",
                       [(float(i), blob) for i in range(chunks)])
    return mutate


def _block_bomb(count: int) -> Mutation:
    n = 63 * 1024 * 1024 // 16  # rows of two 8-byte columns
    cols = [bytes(8 * n), bytes(8 * n)]
    blob = zlib.compress(msgpack.packb({"n": n, "cols": cols, "nulls": [[], []],
                                        "exact": []}), 9)

    def mutate(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM meta WHERE key IN ('summary', 'stats')")
        (columns,) = db.execute("SELECT group_concat(name) FROM pragma_table_info('blocks')"
                                ).fetchone()
        names = columns.split(",")
        row = {"series": "samples", "t0": 0.0, "t1": 1.0, "n": n, "data": blob}
        values = [row.get(name, 0) for name in names]
        db.executemany(f"INSERT INTO blocks ({columns}) VALUES ({','.join('?' * len(names))})",
                       [values] * count)
    return mutate


def make_variant(base: Path, target: Path, mutate: Mutation) -> Path:
    shutil.copyfile(base, target)
    with sqlite3.connect(target) as db:
        mutate(db)
    return target


def commands(bad: Path, good: Path, out: Path) -> list[list[str]]:
    folder = str(bad.parent)
    return [["ls", "--runs-dir", folder], ["show", str(bad)], ["show", str(bad), "--stats"],
            ["show", str(bad), "--format", "json"], ["show", str(bad), "--format", "markdown"],
            ["show", str(bad), "--format", "csv"], ["show", str(bad), "--log"],
            ["show", str(bad), "--unfold"],
            ["diff", str(bad), str(good)], ["diff", str(good), str(bad), "--format", "json"],
            ["export", str(bad), "-o", str(out)],
            ["export", str(bad), "--format", "csv", "-o", str(out)],
            ["check", str(bad), "--max-peak", "1TiB"], ["check", str(good), "--baseline",
                                                         str(bad)]]


def _strict(text: str) -> None:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} in JSON output")
    json.loads(text, parse_constant=refuse)


def run_commands(bad: Path, good: Path, out: Path, budget_s: float = 10.0) -> list[str]:
    """What went wrong running every reading command on `bad`: tracebacks, non-strict JSON,
    escapes in the output, or a command over its time budget."""
    from memtop.cli import _main

    problems = []
    for argv in commands(bad, good, out):
        stdout, stderr = io.StringIO(), io.StringIO()
        started = time.monotonic()
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = _main(argv)
        except BaseException as exc:  # what the user would see as a traceback
            problems.append(f"{argv[0]} {' '.join(argv[2:])}: {type(exc).__name__}: "
                            f"{str(exc)[:200]}")
            continue
        took = time.monotonic() - started
        if took > budget_s:
            problems.append(f"{' '.join(argv[:1] + argv[2:])}: took {took:.1f} s")
        if code not in (0, 1, 2):
            problems.append(f"{argv[0]}: exit code {code}")
        text = stdout.getvalue() + stderr.getvalue()
        if "\x1b" in text:
            problems.append(f"{argv[0]}: an escape reached the terminal")
        if "--format" in argv and "json" in argv and code == 0:
            try:
                _strict(stdout.getvalue())
            except ValueError as exc:
                problems.append(f"{' '.join(argv[:1] + argv[2:])}: {exc}")
    return problems


def sweep(base: Path, good: Path, work: Path, count: int | None = None, seed: int = 26,
          say: Callable[[str, list[str]], None] | None = None) -> dict[str, list[str]]:
    """Every variant (or `count` of them, chosen by `seed`) through every command."""
    found = list(variants(base))
    if count is not None and count < len(found):
        found = random.Random(seed).sample(found, count)
    report = {}
    for i, (label, mutate) in enumerate(found):
        folder = work / f"v{i}"
        folder.mkdir()
        bad = make_variant(base, folder / "bad.db", mutate)
        shutil.copyfile(good, folder / "good.db")
        problems = run_commands(bad, folder / "good.db", folder / "out.txt")
        if problems:
            report[label] = problems
            if say is not None:
                say(label, problems)
        shutil.rmtree(folder)
    return report


if __name__ == "__main__":
    import tempfile

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    base, good = Path(sys.argv[1]), Path(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else None
    def say(label: str, problems: list[str]) -> None:
        print(label, *(f"    {p}" for p in problems), sep="\n", flush=True)

    with tempfile.TemporaryDirectory() as work:
        report = sweep(base, good, Path(work), count, say=say)
    print(f"{len(report)} variants with problems", file=sys.stderr)
