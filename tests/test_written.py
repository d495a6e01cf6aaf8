"""Files memtop writes (`export`, `--json-summary`): whole or not at all, never over the run
being read, never through a symbolic link planted at a name the user did not give (#26, 5)."""

from __future__ import annotations

import os
import sqlite3

from conftest import run_memtop, write_run


def leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def test_export_onto_its_own_run_file_is_refused_and_the_run_kept(tmp_path):
    run = tmp_path / "s.db"
    write_run(run, "s")
    before = run.read_bytes()
    result = run_memtop("export", str(run), "-o", str(run))
    assert result.returncode == 2 and "the run file being read" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert run.read_bytes() == before
    assert run_memtop("show", str(run)).returncode == 0


def test_a_failed_export_leaves_an_existing_target_as_it_was(tmp_path):
    run = tmp_path / "broken.db"
    write_run(run, "broken")
    with sqlite3.connect(run) as db:  # a block that does not decode: found half-way through
        db.execute("UPDATE blocks SET data = X'7800' WHERE series = 'samples'")
    target = tmp_path / "trace.json"
    target.write_text("precious")
    result = run_memtop("export", str(run), "-o", str(target))
    assert result.returncode == 2 and "damaged run file" in result.stderr
    assert target.read_text() == "precious"
    assert leftovers(tmp_path) == []


def test_the_default_name_is_never_written_through_a_planted_link(tmp_path):
    run = tmp_path / "r.db"
    write_run(run, "r")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, tmp_path / "r.trace.json")
    result = run_memtop("export", str(run), cwd=tmp_path)
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert victim.read_text() == "keep me"


def test_a_link_the_user_names_is_followed_and_said(tmp_path):
    run = tmp_path / "r.db"
    write_run(run, "r")
    real = tmp_path / "real.json"
    real.write_text("old")
    os.chmod(real, 0o644)
    os.symlink(real, tmp_path / "link.json")
    result = run_memtop("export", str(run), "-o", str(tmp_path / "link.json"))
    assert result.returncode == 0, result.stderr
    assert "through the link" in result.stderr
    assert real.read_text().startswith('{"displayTimeUnit"')
    assert os.path.islink(tmp_path / "link.json")  # the link stays a link
    assert oct(os.stat(real).st_mode & 0o777) == "0o644"
    assert leftovers(tmp_path) == []
