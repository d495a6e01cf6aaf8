"""Run files: written and read back, and every damaged form rejected with one clear line."""

import os
import sqlite3

import pytest

from memtop.engine.errors import UserError
from memtop.engine.store import SCHEMA_VERSION, RunFollower, RunWriter, read_run, resolve_run

from conftest import MIB, write_run


def test_round_trip(tmp_path):
    path = tmp_path / "r1.db"
    write_run(path)
    run = read_run(str(path))
    assert run.run_id == "r1" and run.meta["status"] == "done"
    assert [s["name"] for s in run.stages] == ["initial", "model_loaded"]
    assert len(run.samples()) == 50 and run.samples()[0] == (1.0, 100 * MIB, 100 * MIB)
    assert run.events[0]["kind"] == "swap"
    # A finished file stands alone: no WAL beside it.
    assert not os.path.exists(str(path) + "-wal")


def test_a_file_being_written_is_readable(tmp_path):
    path = tmp_path / "live.db"
    write_run(path, finish=False)
    run = read_run(str(path))
    assert run.meta["status"] == "running" and len(run.stages) == 2


@pytest.mark.parametrize("damage", ["empty", "text", "truncated", "garbled", "directory",
                                    "missing", "not_memtop"])
def test_damaged_files_are_one_clear_error(tmp_path, damage):
    path = tmp_path / "bad.db"
    if damage != "missing":
        write_run(path)
    data = path.read_bytes() if path.exists() else b""
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "text":
        path.write_text("hello, not a database\n" * 20)
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2 + 100])
    elif damage == "garbled":
        path.write_bytes(data[:100] + bytes(b ^ 0x5A for b in data[100:4096]) + data[4096:])
    elif damage == "directory":
        path.unlink()
        path.mkdir()
    elif damage == "not_memtop":
        path.unlink()
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE x (a)")
    with pytest.raises(UserError) as info:
        read_run(str(path)).samples()
    message = str(info.value)
    assert "\n" not in message and str(path) in message


def test_newer_schema_is_rejected(tmp_path):
    path = tmp_path / "new.db"
    write_run(path)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(UserError, match="newer memtop"):
        read_run(str(path))


def test_resolve_run_by_path_id_prefix_and_latest(tmp_path):
    older, newer = tmp_path / "20260101-aaa.db", tmp_path / "20260102-bbb.db"
    write_run(older, "20260101-aaa")
    write_run(newer, "20260102-bbb")
    os.utime(older, (1, 1))
    runs = str(tmp_path)
    assert resolve_run("latest", runs) == str(newer)
    assert resolve_run("20260101-aaa", runs) == str(older)
    assert resolve_run("20260101", runs) == str(older)
    assert resolve_run(str(older), runs) == str(older)
    with pytest.raises(UserError, match="ambiguous"):
        resolve_run("2026", runs)
    with pytest.raises(UserError, match="run not found"):
        resolve_run("nope", runs)
    with pytest.raises(UserError, match="no runs folder at"):
        resolve_run("latest", str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no run files in"):
        resolve_run("latest", str(tmp_path / "empty"))


def test_a_run_that_ends_while_a_follower_reads_it_loses_no_samples(tmp_path):
    """The writer's last batch and its end are one commit. If it lands between the follower's
    read of the samples and of the end, the follower must still read that batch."""
    path = str(tmp_path / "r.memtop")
    writer = RunWriter(path, {"run_id": "r", "status": "running"})
    writer.add_samples([(i / 10, MIB) for i in range(10)])
    writer.commit()
    follower = RunFollower(read_run(path))
    read_rows, ended = follower.run.rows_after, []

    def rows_after_then_end(table: str, rowid: int) -> list[tuple]:
        rows = read_rows(table, rowid)
        if table == "samples" and not ended:
            ended.append(True)
            writer.add_samples([(1 + i / 10, 2 * MIB) for i in range(10)])
            writer.finish({"status": "done"}, (2.0, "end", "info", "done"))
        return rows

    follower.run.rows_after = rows_after_then_end
    seen = 0
    for _ in range(5):
        seen += sum(len(m["t"]) for m in follower.poll() if m["type"] == "samples")
        if follower.finished:
            break
    follower.close()
    assert follower.finished and seen == 20


_ABORTED_THEN_COMMITTED = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level="DEFERRED")
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA cache_size=2")  # a large transaction spills its pages into the log early
db.execute("CREATE TABLE t (x BLOB)")
db.commit()
db.executemany("INSERT INTO t VALUES (?)", [(os.urandom(3000),) for _ in range(60)])
db.rollback()  # as after a full disk: its frames stay in the log, past the last commit
db.execute("INSERT INTO t VALUES (?)", (b"kept",))
db.commit()  # overwrites the first of them, which breaks the chain of the rest
os._exit(0)  # no checkpoint: the log stays as it is
"""


@pytest.mark.parametrize("damage_committed", [False, True])
def test_a_log_with_a_rolled_back_transaction_is_not_damaged(tmp_path, damage_committed):
    """Frames of a transaction that never committed, left past the last commit, lose nothing;
    a frame of a committed transaction that fails its checksum does."""
    import subprocess
    import sys

    from memtop.engine.store.wal import read_wal

    path = str(tmp_path / "log.db")
    subprocess.run([sys.executable, "-c", _ABORTED_THEN_COMMITTED, path], check=True)
    frames = read_wal(path)
    assert frames is not None and frames.usable >= 2
    assert frames.lost == 0
    if damage_committed:  # a byte of the first frame's page: every commit after it is lost
        with open(path + "-wal", "r+b") as f:
            f.seek(32 + 24 + 100)
            byte = f.read(1)
            f.seek(32 + 24 + 100)
            f.write(bytes([byte[0] ^ 0xFF]))
        damaged = read_wal(path)
        assert damaged is not None and damaged.usable == 0 and damaged.lost >= 1
    with sqlite3.connect(path) as db:  # what SQLite itself reads: all, or nothing past the damage
        tables = db.execute("SELECT name FROM sqlite_master").fetchall()
        rows = db.execute("SELECT x FROM t").fetchall() if tables else []
    assert rows == ([] if damage_committed else [(b"kept",)])
