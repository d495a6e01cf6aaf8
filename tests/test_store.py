"""Run files: written and read back, and every damaged form rejected with one clear line."""

import os
import sqlite3
from pathlib import Path

import pytest

from memtop.engine.errors import UserError
from memtop.engine.store import SCHEMA_VERSION, RunWriter, read_run, resolve_run

MIB = 1024 * 1024


def stage(name: str, t: float, rss_mib: float, peak_mib: float, **extra) -> dict:
    return {"name": name, "t": t, "t_end": t + 0.001, "wall": 0.0, "rss": int(rss_mib * MIB),
            "swap": 0, "peak": int(peak_mib * MIB), "peak_exact": True, **extra}


def write_run(path: Path, run_id: str = "r1", finish: bool = True) -> None:
    writer = RunWriter(str(path), {"run_id": run_id, "backend": "torch", "status": "running"})
    writer.add_samples([(1.0 + i / 100, (100 + i) * MIB) for i in range(50)])
    writer.add_proc([(1.0, 100 * MIB, 110 * MIB, 0, 90 * MIB, 10 * MIB, 1)])
    writer.add_stage(1, stage("initial", 1.0, 100, 100))
    writer.add_stage(2, stage("model_loaded", 1.5, 150, 160))
    writer.add_event(1.2, "swap", "info", "swap 120 MiB > 100 MiB")
    if finish:
        writer.set_meta({"status": "done"})
        writer.close()
    else:
        writer.commit()


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
    with pytest.raises(UserError, match="no runs"):
        resolve_run("latest", str(tmp_path / "empty"))
