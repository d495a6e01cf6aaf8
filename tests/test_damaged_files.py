"""Damaged and hostile run files through every reading command (issue #26, 2 and 3): a fuzz of
one-field changes to a real run file (tests/fuzz_run_files.py), the decompression bombs of the
issue in bounded time and memory, and a folder whose one bad file hides nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fuzz_run_files import make_variant, run_commands, sweep, variants

from memtop.engine.store import list_run_files, listed_runs

from conftest import run_memtop
from tui_support import run_path

PROGRAM = """
import memtop, time
print("hello")
for epoch in range(2):
    with memtop.stage("epoch"):
        x = bytearray(5_000_000)
        with memtop.stage("step"):
            time.sleep(0.05)
        print("epoch", epoch)
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A real run of a program with nested stages and output (schema of today: blocks)."""
    folder = tmp_path_factory.mktemp("base")
    result = run_memtop("run", "--no-tui", "--runs-dir", str(folder), "--", sys.executable,
                        "-c", PROGRAM)
    assert result.returncode == 0, result.stderr[-2000:]
    (path,) = folder.glob("*.db")
    return path


def test_one_damaged_field_anywhere_is_one_line_in_every_command(base, tmp_path):
    # 400 of the ~1,900 variants, a different draw each day (the seed is printed on failure);
    # `python tests/fuzz_run_files.py BASE GOOD` runs them all.
    seed = int(time.strftime("%Y%m%d"))
    report = sweep(base, Path(run_path("jax")), tmp_path, count=400, seed=seed)
    assert not report, f"seed {seed}: " + json.dumps(report, indent=1)[:6000]


def test_the_issue_s_files_are_damaged_not_tracebacks(base, tmp_path):
    found = dict(variants(base))
    for label in ("meta summary = \"x\"", "meta spec = null", "meta started_wall = 1e308",
                  "meta started_wall = -1e18", "meta started_wall = -1e11",
                  "meta started_wall = 1e20", f"meta stats = {'[' * 12}",
                  "stage rss = " + "1" + "0" * 11, "plain block with a null rss"):
        (tmp_path / label[:8]).mkdir(exist_ok=True)
        bad = make_variant(base, tmp_path / label[:8] / "bad.db", found[label])
        problems = run_commands(bad, Path(run_path("jax")), tmp_path / "out")
        assert not problems, (label, problems)


# VmHWM, not ru_maxrss: Linux carries the parent's peak (this pytest process) through fork
# and exec into the child's ru_maxrss, so a big test process failed a small command.
PEAK_KIB = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"

MEASURED = f"""
import sys, time
from memtop.cli import _main
started = time.monotonic()
code = _main(sys.argv[1:])
print(f"{{time.monotonic() - started:.2f}} {{{PEAK_KIB}}}", file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("bomb", ["output bomb (40 chunks of 64 MiB)",
                                  "block bomb (100 blocks of 63 MiB)"])
def test_a_bomb_costs_bounded_time_and_memory(base, tmp_path, bomb):
    bad = make_variant(base, tmp_path / "bad.db", dict(variants(base))[bomb])
    assert bad.stat().st_size < 10 * 2**20  # a few MB that would inflate to gigabytes
    for args, limit_s in ((["ls", "--runs-dir", str(tmp_path)], 5), (["show", str(bad)], 10),
                          (["show", str(bad), "--stats"], 10), (["show", str(bad), "--log"], 10),
                          (["export", str(bad), "-o", str(tmp_path / "t.json")], 10)):
        done = subprocess.run([sys.executable, "-c", MEASURED, *args], capture_output=True,
                              text=True, timeout=120)
        took, max_kib = done.stderr.strip().splitlines()[-1].split()
        assert "Traceback" not in done.stderr, done.stderr[-2000:]
        assert float(took) < limit_s and int(max_kib) < 300 * 1024, (args, took, max_kib)
        if args[0] == "ls":
            assert done.returncode == 0 and ("done" in done.stdout or "damaged" in done.stdout)
        elif done.returncode != 0:
            assert done.returncode == 2 and "damaged run file" in done.stderr


def test_one_bad_file_hides_nothing_in_the_folder(base, tmp_path):
    deep = dict(variants(base))[f"meta stats = {'[' * 12}"]
    make_variant(base, tmp_path / "a-bad.db", deep)
    make_variant(base, tmp_path / "b-good.db", lambda db: None)
    listed = list(listed_runs(str(tmp_path), list_run_files(str(tmp_path))))
    by_name = {Path(item.path).name: item for item in listed}
    assert by_name["b-good.db"].fields is not None
    assert by_name["a-bad.db"].fields is None and "nested" in by_name["a-bad.db"].problem
    result = run_memtop("ls", "--runs-dir", str(tmp_path))
    assert result.returncode == 0 and "Traceback" not in result.stderr


REPLAYED = f"""
import sys
from memtop.engine.client import replayed_state
from memtop.engine.store import read_run
state = replayed_state(read_run(sys.argv[1]))
print(len(state.log_partial) + sum(map(len, state.log)), {PEAK_KIB})
"""


def test_a_replay_of_an_output_bomb_holds_only_what_it_shows(base, tmp_path):
    bad = make_variant(base, tmp_path / "bad.db",
                       dict(variants(base))["output bomb (40 chunks of 64 MiB)"])
    done = subprocess.run([sys.executable, "-c", REPLAYED, str(bad)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    kept, max_kib = map(int, done.stdout.split())
    assert kept <= 17 * 2**20 and max_kib < 300 * 1024  # the last 16 MiB, not 2.5 GiB
