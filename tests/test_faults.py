"""Faults a memory monitor is there to catch: the run ends with its cause and keeps every sample.

Those that need root (a cgroup, a swap file) are skipped with a reason where they cannot run; CI
runs as root here, so they run there. Everything they create is removed, whatever happens.
"""

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from memtop.engine.client import EngineClient
from memtop.engine.probes.procfs import is_alive
from memtop.engine.spec import RunSpec
from memtop.engine.store import read_run

from conftest import HELPERS, run_memtop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from footprint import engine_of

MIB = 1024 * 1024
CGROUP_V1 = Path("/sys/fs/cgroup/memory")
needs_root_cgroup = pytest.mark.skipif(
    os.geteuid() != 0 or not (CGROUP_V1 / "memory.limit_in_bytes").exists(),
    reason="needs root and cgroup v1 memory (as on this project's machines)")


def run_session(how: str, runs_dir: Path, *extra: str, parallel: int = 1,
                count: int = 1) -> list[dict]:
    client = EngineClient()
    finished = []
    try:
        client.submit([RunSpec(backend="", model=f"fault-{how}", runs_dir=str(runs_dir),
                               command=[sys.executable, str(HELPERS / "fault_session.py"), how,
                                        *extra]) for _ in range(count)], parallel=parallel)
        while len(finished) < count:
            message = client.receive(60)
            assert message is not None, "the engine went quiet"
            if message["type"] == "finished":
                finished.append(message)
    finally:
        client.close()
    return finished


def assert_samples_reach_the_end(run) -> None:
    """Samples run without a gap to within an interval (and 20 ms) of the session's last mark:
    the batches in flight when it died were written too."""
    times = [row[0] for row in run.samples()]
    interval = run.meta["interval_ms"] / 1000
    last_mark = run.stages[-1]
    assert times and times[-1] >= last_mark["t"] - interval - 0.02
    assert max(b - a for a, b in itertools.pairwise(times)) < max(0.1, 2 * interval)


@pytest.mark.parametrize(("how", "status", "cause"), [
    ("sigkill", "killed", "killed by SIGKILL"),
    ("segfault", "killed", "killed by SIGSEGV"),
    ("raise", "failed", "exit code 1"),  # its last output is kept apart
])
def test_a_session_that_dies_ends_with_its_cause(how, status, cause, runs_dir):
    (finished,) = run_session(how, runs_dir)
    assert finished["status"] == status and cause in finished["cause"], finished
    run = read_run(finished["path"])
    assert run.meta["status"] == status
    if how == "raise":
        assert run.meta["last_output"] == "ValueError: boom on purpose"
    assert [s["name"] for s in run.stages] == ["allocated", "last_words"]
    assert_samples_reach_the_end(run)
    assert max(row[2] for row in run.samples()) >= 64 * MIB  # each reading's maximum


@contextlib.contextmanager
def memory_cgroup(limit: int, swappiness: int | None = None):
    path = CGROUP_V1 / f"memtop-test-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    try:
        (path / "memory.limit_in_bytes").write_text(str(limit))
        if swappiness is not None:
            (path / "memory.swappiness").write_text(str(swappiness))
        yield path
    finally:
        for pid in (path / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        for _ in range(50):
            try:
                path.rmdir()
                break
            except OSError:
                time.sleep(0.1)


@needs_root_cgroup
def test_the_real_oom_killer_is_named_as_the_cause(runs_dir):
    with memory_cgroup(200 * MIB) as cgroup:
        (finished,) = run_session("oom", runs_dir, str(cgroup))
    assert finished["status"] == "killed"
    assert finished["cause"] == "killed by the OOM killer (SIGKILL)"
    run = read_run(finished["path"])
    assert_samples_reach_the_end(run)
    assert max(row[2] for row in run.samples()) > 150 * MIB  # the climb to the kill, exact


@contextlib.contextmanager
def swap_file(size: int):
    path = Path(f"/var/tmp/memtop-test-swap-{uuid.uuid4().hex[:8]}")
    subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={size // MIB}"],
                   check=True, capture_output=True)
    path.chmod(0o600)
    try:
        subprocess.run(["mkswap", str(path)], check=True, capture_output=True)
        on = subprocess.run(["swapon", str(path)], capture_output=True, text=True)
        if on.returncode != 0:
            pytest.skip(f"swapon refused here: {on.stderr.strip()}")
        yield path
    finally:
        subprocess.run(["swapoff", str(path)], capture_output=True)
        path.unlink(missing_ok=True)


@needs_root_cgroup
@pytest.mark.skipif(not shutil.which("mkswap") or not shutil.which("swapon"),
                    reason="needs mkswap and swapon")
def test_real_swap_raises_the_alarm_within_a_second(runs_dir):
    with swap_file(512 * MIB), memory_cgroup(120 * MIB, swappiness=100) as cgroup:
        (finished,) = run_session("swap", runs_dir, str(cgroup))
    run = read_run(finished["path"])
    assert finished["status"] == "done", finished
    crossed = next(s for s in run.stages if s["name"] == "swap_crossed")["crossed_at"]
    alarms = [e for e in run.events if e["kind"] == "swap"]
    assert alarms, run.events
    assert alarms[0]["t"] - crossed <= 1.0
    assert max(row[3] for row in run.proc()) > 100 * MIB


def test_engine_killed_keeps_a_readable_file_losing_at_most_0_6_s(runs_dir):
    cli = subprocess.Popen([sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir",
                            str(runs_dir), "--", sys.executable, "-c",
                            "import time\nwhile True: time.sleep(0.01)"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not list(runs_dir.glob("*.db")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)
        engine = engine_of(cli.pid)
        killed_at = time.monotonic()
        os.kill(engine, signal.SIGKILL)
        cli.wait(timeout=20)
    finally:
        if cli.poll() is None:
            cli.kill()
    (path,) = runs_dir.glob("*.db")
    run = read_run(str(path))
    samples = run.samples()
    assert len(samples) > 1.0 / (run.meta["interval_ms"] / 1000)  # the 1.5 s before the kill
    # A commit every 0.5 s and a turn's work (0.6 s) lost at most; the last reading before
    # them is up to an interval older.
    assert killed_at - samples[-1][0] <= 0.6 + run.meta["interval_ms"] / 1000
    # The session did not outlive its engine (PR_SET_PDEATHSIG).
    time.sleep(0.5)
    assert not is_alive(run.meta["pid"])
    # Nothing finalized the run: read again, it says so instead of "running".
    again = read_run(str(path)).meta
    assert again["status"] == "interrupted" and "engine stopped" in again["cause"]


def test_eight_sessions_in_parallel_complete_and_are_stored(runs_dir):
    finished = run_session("ok", runs_dir, parallel=8, count=8)
    assert all(f["path"] for f in finished), [f.get("cause") for f in finished]  # why not
    assert len(finished) == 8 and len({f["path"] for f in finished}) == 8
    for message in finished:
        run = read_run(message["path"])
        assert run.meta["status"] == "done" and len(run.stages) == 2 and run.samples()


def test_malformed_event_lines_are_dropped_and_the_program_keeps_its_exit_code(runs_dir):
    program = ("import os\n"
               "fd = int(os.environ['MEMTOP_EVENT_FD'])\n"
               "for line in (b'{\"type\":\"stage\",\"name\":\"bad\"}', b'[1, 2]', b'not json',\n"
               "             b'{\"type\":\"stage\",\"name\":\"x\",\"t\":\"no\",\"t_end\":1,'\n"
               "             b'\"rss\":1,\"swap\":0,\"peak\":1}', b'{\"type\":\"begin\"}'):\n"
               "    os.write(fd, line + b'\\n')\n"
               "import memtop\n"
               "memtop.mark('good')\n"
               "raise SystemExit(7)\n")
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, "-c", program)
    assert result.returncode == 7, result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    (path,) = runs_dir.glob("*.db")
    run = read_run(str(path))
    assert [s["name"] for s in run.stages] == ["good"]
    bad = [e["message"] for e in run.events if e["kind"] == "bad_event"]
    assert len(bad) == 5 and run.meta["bad_events"] == 5
    assert any("stage without 't'" in m for m in bad)
    assert run.meta["status"] == "failed" and run.meta["cause"].startswith("exit code 7")


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    """A tmpfs of `size` at `path` (root only; skipped elsewhere)."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_full_disk_keeps_the_program_running_and_records_the_true_cause(tmp_path):
    # A second of readings, then more output than the disk holds (hex of random bytes: it does
    # not compress), then the program goes on and ends with its own code.
    program = ("import os, sys, time\n"
               "time.sleep(1)\n"
               "sys.stdout.write(os.urandom(400_000).hex())\n"
               "sys.stdout.flush()\n"
               "time.sleep(2)\n"
               "raise SystemExit(5)\n")
    with small_disk(tmp_path / "small", "500k") as runs_dir:
        result = run_memtop("run", "--no-tui", "--interval-ms", "1", "--runs-dir", str(runs_dir),
                            "--", sys.executable, "-c", program)
        assert result.returncode == 5, result.stderr[-2000:]  # the program's own end and code
        assert "Traceback" not in result.stdout + result.stderr
        (path,) = runs_dir.glob("*.db")
        run = read_run(str(path))  # readable, with what was written before the disk filled
        assert run.meta["status"] == "failed" and "disk is full" in run.meta["cause"]
        assert run.meta["returncode"] == 5 and "exit code 5" in run.meta["cause"]
        assert len(run.samples()) > 100
        # The reserve is gone; the log stays beside the file where the disk has no room to
        # fold it back (SQLite reads the two as one).
        assert {p.name for p in runs_dir.iterdir()} <= {path.name + suffix
                                                         for suffix in ("", "-wal", "-shm")}


@pytest.mark.parametrize("size", ["64k", "200k"])
def test_without_room_to_record_its_end_a_run_does_not_start(tmp_path, size):
    # 64k: not even the file's tables fit; 200k: the file fits, the reserve that records how the
    # run ends does not. Either way the run must not start and read later as a crash.
    with small_disk(tmp_path / "small", size) as runs_dir:
        result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                            sys.executable, "-c", "print('ran')")
        assert result.returncode == 1
        assert "ran" not in result.stdout and "Traceback" not in result.stderr
        said = " ".join(result.stderr.split())
        assert "never started" in said and f"no room for a run file in {runs_dir}" in said
        assert list(runs_dir.iterdir()) == []  # nothing half made left behind


def test_a_run_file_moved_away_mid_run_keeps_the_programs_exit_code(runs_dir, tmp_path):
    cli = subprocess.Popen([sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir",
                            str(runs_dir), "--", sys.executable, "-c",
                            "import time; time.sleep(2.5)"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not list(runs_dir.glob("*.db")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    (path,) = runs_dir.glob("*.db")
    moved = tmp_path / "moved.db"
    path.rename(moved)
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 0, err[-2000:]
    assert "Traceback" not in out + err
    assert read_run(str(moved)).meta["status"] == "done"  # the writer kept its descriptor


def test_a_corrupt_write_ahead_log_is_said_not_dropped_silently(runs_dir, tmp_path):
    from memtop.engine.store import RunWriter

    writer = RunWriter(str(tmp_path / "live.db"), {"run_id": "cut", "status": "running"})
    for second in range(50):  # one commit per second of readings, as the engine does
        writer.add_samples([(second + i / 100, (500 + i) * 1024 * 1024) for i in range(100)])
        writer.commit()
    # The file as an engine killed mid-run leaves it: the database and its write-ahead log.
    for suffix in ("", "-wal"):
        shutil.copyfile(tmp_path / f"live.db{suffix}", runs_dir / f"cut.db{suffix}")
    log = runs_dir / "cut.db-wal"
    data = bytearray(log.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit in the middle of the log
    log.write_bytes(bytes(data))
    result = run_memtop("show", str(runs_dir / "cut.db"), "--format", "json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["status"] == "damaged"
    assert re.search(r"\d+ of the last \d+ frames of its write-ahead log", shown["cause"])
    assert 0 < shown["statistics"]["run"]["samples"] < 5000  # what was before the damage
    listed = run_memtop("ls", "--runs-dir", str(runs_dir))
    assert listed.returncode == 0 and "damaged" in listed.stdout


def test_what_a_program_leaves_behind_is_said_with_pids(runs_dir):
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, str(HELPERS / "leaves_children.py"))
    assert result.returncode == 0, result.stderr[-2000:]
    (path,) = runs_dir.glob("*.db")
    meta = read_run(str(path)).meta
    try:
        assert len(meta["ended_at_end"]) == 1 and "(sleep)" in meta["ended_at_end"][0]
        assert len(meta["left_running"]) == 1
        daemon = int(meta["left_running"][0].split()[0])
        assert is_alive(daemon)  # memtop never kills what left the program's group
        assert f"still running after the program: PID {daemon}" in meta["cause"]
    finally:
        for entry in meta.get("left_running", []):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(entry.split()[0]), signal.SIGKILL)
