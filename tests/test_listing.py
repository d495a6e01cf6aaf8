"""The run list's cache (engine/store/listing.py): `ls` opens a run file only when it is new or
changed, so a large folder lists fast; a damaged or foreign cache is ignored, never trusted."""

from __future__ import annotations

import json
import os
import shutil

from memtop.engine.store import list_run_files
from memtop.engine.store.listing import cache_file, listed_runs

from conftest import run_memtop, write_run
from tui_support import run_path


def test_unchanged_files_are_not_opened_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    runs.mkdir()
    for i in range(3):  # copies: hard links share one inode, and so one modification time
        shutil.copy(run_path("torch"), runs / f"run-{i}.db")
    (runs / "broken.db").write_bytes(b"not a run file at all" * 10)
    first = list(listed_runs(str(runs), list_run_files(str(runs))))
    assert sum(1 for item in first if item.fields) == 3
    assert next(item.problem for item in first if not item.fields).startswith("not a memtop")

    import memtop.engine.store.listing as listing

    opened = []
    real = listing._fields_of
    monkeypatch.setattr(listing, "_fields_of", lambda path: opened.append(path) or real(path))
    again = list(listed_runs(str(runs), list_run_files(str(runs))))
    assert opened == [] and [i.fields for i in again] == [i.fields for i in first]
    write_run(runs / "new.db", "new-run")  # a new file is opened; the others still are not
    os.utime(runs / "run-1.db", None)  # touched: its identity changed, so it is read again
    list(listed_runs(str(runs), list_run_files(str(runs))))
    assert sorted(os.path.basename(p) for p in opened) == ["new.db", "run-1.db"]


def test_a_crafted_cache_is_checked_and_its_strings_shown_as_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    runs.mkdir()
    os.link(run_path("torch"), runs / "a.db")
    list(listed_runs(str(runs), list_run_files(str(runs))))
    where = cache_file(str(runs))
    data = json.loads(where.read_text())
    key = next(iter(data["entries"]))
    data["entries"][key]["fields"]["model"] = "\x1b]52;c;Y3VybA==\x07[bold]x"
    data["entries"]["other"] = {"fields": {"run_id": 3}}  # wrong types: dropped
    where.write_text(json.dumps(data))
    result = run_memtop("ls", "--runs-dir", str(runs), env={"XDG_CACHE_HOME": str(tmp_path /
                                                                                  "cache")})
    assert result.returncode == 0 and "\x1b" not in result.stdout
    where.write_text("{not json")
    result = run_memtop("ls", "--runs-dir", str(runs), env={"XDG_CACHE_HOME": str(tmp_path /
                                                                                  "cache")})
    assert result.returncode == 0 and "a" in result.stdout and "Traceback" not in result.stderr
