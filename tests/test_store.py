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
    assert len(run.samples()) == 50 and run.samples()[0] == (1.0, 100 * MIB)
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
    with pytest.raises(UserError, match="does not exist"):
        resolve_run("latest", str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no runs"):
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
