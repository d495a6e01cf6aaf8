"""Which code (issue #17): `--allocations` runs the session under memray and `show
--allocations` names, for each stage, the functions whose allocations made in the stage were
live at its peak. Real programs, real memray captures."""

import json
import os
import subprocess
import sys
import time

import pytest
from terminal import in_terminal

from conftest import HELPERS, run_memtop, show_json

pytest.importorskip("memray")


def allocations(runs_dir, ref: str = "latest") -> dict:
    result = run_memtop("show", ref, "--allocations", "--format", "json",
                        "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stderr[-2000:]
    [run] = json.loads(result.stdout)
    return {found["stage"]: found for found in run["allocations"]}


def test_each_stage_names_the_function_that_allocated_it(runs_dir):
    result = run_memtop("run", "--allocations", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, str(HELPERS / "two_allocators.py"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "allocations tracked by memray" in result.stderr  # stdout is the program's
    run = show_json(runs_dir)
    assert (runs_dir / f"{run['run_id']}.memray").exists()  # memray flamegraph works on it
    stages = allocations(runs_dir)
    load, cache = stages["load"]["sites"][0], stages["cache"]["sites"][0]
    assert load["function"] == "load_weights" and load["mib"] == pytest.approx(100, rel=0.01)
    assert cache["function"] == "build_cache" and cache["mib"] == pytest.approx(300, rel=0.01)
    assert all(site["function"] != "load_weights" for site in stages["cache"]["sites"])
    for found in stages.values():  # memray's heap never exceeds what the kernel saw
        assert found["tracked_mb"] <= found["kernel_peak_mb"]
    table = run_memtop("show", run["run_id"], "--allocations", "--runs-dir", str(runs_dir))
    assert "build_cache (two_allocators.py:" in table.stdout


@pytest.mark.backend
def test_a_bench_session_tracks_its_protocol(runs_dir):
    from memtop.engine.backends import is_installed

    if not is_installed("torch"):
        pytest.skip("torch not installed")
    result = run_memtop("bench", "--backend", "torch", "--model", "gpt2_tiny", "--allocations",
                        "--no-tui", "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stderr[-2000:]
    stages = allocations(runs_dir)
    assert {"model_loaded", "first_inference"} <= set(stages)
    assert any(site["mib"] > 0 for site in stages["model_loaded"]["sites"])


def test_what_cannot_be_tracked_or_read_is_one_line(runs_dir, tmp_path):
    from conftest import write_run

    cases = [(("run", "--allocations", "--no-tui", "--", "sleep", "0"), "a Python program")]
    write_run(runs_dir / "plain.db", run_id="plain")
    cases.append((("show", "plain", "--allocations"), "not recorded with --allocations"))
    # What the file says of its capture is never a path: the capture is the run file's own.
    write_run(runs_dir / "crafted.db", run_id="crafted",
              meta={"allocations": {"capture": "../../../etc/passwd"}})
    cases.append((("show", "crafted", "--allocations"), "crafted.memray"))
    for args, words in cases:
        result = run_memtop(*args, "--runs-dir", str(runs_dir))
        assert result.returncode == 2, (args, result.stdout[-500:])
        assert words in result.stderr and "Traceback" not in result.stderr
        assert "passwd" not in result.stderr


async def test_the_detail_screen_names_the_sites_on_a(runs_dir):
    from memtop.engine.store import list_run_files, read_run

    from tui_support import open_detail, replay_app, wait_until

    result = run_memtop("run", "--allocations", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, str(HELPERS / "two_allocators.py"))
    assert result.returncode == 0, result.stderr[-2000:]
    app = replay_app([read_run(p) for p in list_run_files(str(runs_dir))])
    async with app.run_test(size=(100, 40)) as pilot:
        await open_detail(pilot, app)
        await pilot.press("a")

        def where() -> str:
            return str(app.screen.query_one("#where").render())

        await wait_until(pilot, lambda: "allocated here" in where(), timeout=30)
        assert "allocated here: build_cache 300." in where()  # the stage that grew most


# ---- the capture is untrusted input (#26, 1) ------------------------------------------------

@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    """A real run with its real capture, to damage copies of."""
    runs_dir = tmp_path_factory.mktemp("captured")
    result = run_memtop("run", "--allocations", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, str(HELPERS / "two_allocators.py"))
    assert result.returncode == 0, result.stderr[-2000:]
    [run] = list(runs_dir.glob("*.db"))
    return run


def with_capture(tmp_path, run, make) -> str:
    """A copy of `run` whose capture beside it is what `make(path)` makes."""
    import shutil

    copy = tmp_path / run.name
    shutil.copy(run, copy)
    make(copy.with_suffix(".memray"))
    return str(copy)


def assert_damaged_in_one_line(path: str) -> None:
    result = subprocess.run([sys.executable, "-m", "memtop", "show", path, "--allocations"],
                            capture_output=True, timeout=200)
    assert result.returncode in (0, 2), result.stderr[-500:]  # never a signal's death
    assert b"Traceback" not in result.stderr and b"\x1b" not in result.stdout + result.stderr
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert b"allocation capture" in result.stderr


def test_a_capture_that_is_a_fifo_or_a_link_out_of_its_folder_is_refused_at_once(
        tmp_path, captured):
    for make, words in ((os.mkfifo, b"not a regular file"),
                        (lambda p: os.symlink("/dev/zero", p), b"link out of its folder")):
        folder = tmp_path / words.decode().replace(" ", "_")
        folder.mkdir()
        path = with_capture(folder, captured, make)
        start = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "memtop", "show", path, "--allocations"],
                                capture_output=True, timeout=60)
        assert time.monotonic() - start < 30
        assert result.returncode == 2 and words in result.stderr, result.stderr


def test_damaged_captures_are_one_line_never_a_crash(tmp_path, captured):
    import random

    original = captured.with_suffix(".memray").read_bytes()
    for seed in range(12):
        rng = random.Random(seed)
        data = bytearray(original)
        for _ in range(rng.choice((1, 8, 64))):
            data[rng.randrange(16, len(data))] ^= 1 << rng.randrange(8)
        if seed % 4 == 3:
            data = data[: len(data) // (seed + 1)]  # cut short too
        folder = tmp_path / f"flip{seed}"
        folder.mkdir()
        assert_damaged_in_one_line(with_capture(folder, captured,
                                                lambda p, d=bytes(data): p.write_bytes(d)))


def test_escapes_in_a_capture_s_segment_path_never_reach_the_terminal(runs_dir, tmp_path):
    result = run_memtop("run", "--allocations", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, str(HELPERS / "evil_library_path.py"), str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    [capture] = list(runs_dir.glob("*.memray"))
    assert b"\x1b]0;PWNED\x07" in capture.read_bytes()  # the path is in the capture
    [run] = list(runs_dir.glob("*.db"))
    returncode, out = in_terminal([sys.executable, "-m", "memtop", "show", str(run),
                                   "--allocations"], timeout=200)
    assert returncode in (0, 2) and b"Traceback" not in out
    assert b"\x1b]" not in out and b"\x07" not in out and b"\x1b[2J" not in out, out[-2000:]
