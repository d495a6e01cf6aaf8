"""Every reading is the exact maximum of its interval (issue #29): the sampler and the program's
own stage cuts share each process's high-water mark (probes/peak_mark.py) and never lose a
maximum to each other's resets. Real programs under a real engine, at the default rate."""

from __future__ import annotations

import fcntl
import itertools
import json
import mmap
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from memtop.engine.client import EngineClient
from memtop.engine.monitor.runtime_dir import runtime_dir
from memtop.engine.monitor.sampler import INTERVAL_MAXIMA_S
from memtop.engine.probes.peak_mark import PROGRAM, PROGRAM_WAIT_S, SAMPLER, PeakMark
from memtop.engine.probes.procfs import RSS_COUNTER_SLACK
from memtop.engine.spec import RunSpec
from memtop.engine.store import read_run
from memtop.engine.store.blocks import decode, encode
from memtop.engine.store.schema import REAL_COLUMNS

from conftest import HELPERS, MIB, run_memtop, write_run

SPIKES = HELPERS / "spikes_between_readings.py"


def spiked_run(runs_dir, tmp_path, as_child: bool = False,
               **env: str) -> tuple[dict, list[list[float]]]:
    """The spikes program under memtop, as the run's process or (`as_child`) a shell's child."""
    out = tmp_path / "spikes.json"
    spec_env = {"SPIKES_OUT": str(out), **env}
    command = [sys.executable, str(SPIKES)]
    if as_child:  # `; true`: the shell waits for it instead of becoming it
        command = ["sh", "-c", f"'{sys.executable}' '{SPIKES}'; true"]
    finished = run_program(command, runs_dir, spec_env)
    assert finished["status"] == "done", finished["cause"]
    return finished, json.loads(out.read_text())


def run_program(command: list[str], runs_dir, env: dict[str, str] | None = None,
                interval_ms: float | None = None) -> dict:
    """`command` under a real engine; `interval_ms` None: the default for its readings."""
    client = EngineClient()
    try:
        client.submit([RunSpec(backend="", model="", command=command, runs_dir=str(runs_dir),
                               env=env or {}, interval_ms=interval_ms)])
        finished = None
        while (message := client.receive(60)) is not None:
            finished = message if message["type"] == "finished" else finished
            if message["type"] in ("idle", "exited"):
                break
    finally:
        client.close()
    assert finished is not None, "the engine went quiet"
    return finished


def close_to(found: int, expected: int, size_mib: float, beside: int = 0) -> bool:
    """Within 1% of the spike's size (or the kernel's counter slack, where that is more) of
    `expected`, or of it and up to `beside` more (other processes of the tree)."""
    slack = max(0.01 * size_mib * MIB, RSS_COUNTER_SLACK)
    return expected - slack <= found <= expected + beside + slack


@pytest.mark.parametrize("as_child", [False, True], ids=["the run's process", "a child"])
def test_fifty_spikes_between_readings_are_each_in_their_intervals_maximum(runs_dir, tmp_path,
                                                                          as_child):
    """A child's maximum counts in the tree's reading too (each process's own, summed)."""
    finished, spikes = spiked_run(runs_dir, tmp_path, as_child)
    run = read_run(finished["path"])
    assert run.meta["readings"] == {"kind": "interval maxima", "why": None}
    assert run.meta["interval_ms"] == INTERVAL_MAXIMA_S * 1000
    samples = run.samples()
    times = [row[0] for row in samples]
    caught = seen_by_points = 0
    shell = 8 * MIB if as_child else 0  # the shell's own RSS beside its child's
    for t_peak, t_gone, at, mib in spikes:
        # The reading whose interval holds the spike's peak: the first read after it, or
        # (its reset came just before the peak) the one after that.
        k = next(i for i, t in enumerate(times) if t >= t_peak)
        # A sampler descheduled on a busy machine may read two spikes in one interval: the
        # larger is then that reading's maximum.
        since = times[k - 1] if k else float("-inf")
        until = times[min(k + 1, len(times) - 1)]
        beside = max(other[2] for other in spikes if since < other[0] <= until) - at
        # Each of the two readings on its own: the later one may already hold the next
        # spike's first pages.
        caught += any(close_to(row[2], int(at), mib, shell + int(beside))
                      for row in samples[k:k + 2])
        # What point samples saw of it: a reading taken while the spike was held.
        seen_by_points += any(close_to(row[1], int(at), mib, shell) for row in samples
                              if t_peak <= row[0] <= t_gone)
    assert len(spikes) == 50 and caught == 50, (caught, seen_by_points)
    assert seen_by_points < 40  # the spikes are shorter than the interval: mostly missed
    # Nothing the readings hold is higher than what happened (beside a child: the shell).
    assert max(row[2] for row in samples) <= max(at for _, _, at, _ in spikes) + shell + \
        max(0.01 * 256 * MIB, RSS_COUNTER_SLACK)


def test_spikes_within_a_millisecond_of_stage_edges_land_in_their_own_stage(runs_dir,
                                                                             tmp_path):
    finished, spikes = spiked_run(runs_dir, tmp_path, EDGES="1", SPIKES="30")
    run = read_run(finished["path"])
    stages = [s for s in run.stages if s["name"].startswith("s")]
    assert len(stages) == len(spikes) == 30
    near = 0  # spikes freed less than a millisecond before their stage's end
    for stage, (_, t_gone, at, mib) in zip(stages, spikes, strict=True):
        near += stage["t"] - t_gone < 0.001
        assert stage["peak_exact"] and close_to(stage["peak"], int(at), mib), (stage, at)
    assert near >= 20, near  # most (a busy machine may delay the program between the two)
    # A stage never has the spike of the one before, a millisecond before its start.
    for stage, own, before in zip(stages[1:], spikes[1:], spikes[:-1], strict=True):
        if before[3] > own[3] + 16:
            assert stage["peak"] < before[2] - 8 * MIB, (stage["name"], stage["peak"], before)


def spike(mib: int = 128) -> None:
    """`mib` resident for a moment, then unmapped (RSS back down)."""
    block = mmap.mmap(-1, mib * MIB, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS |
                      mmap.MAP_POPULATE)
    block.close()


def test_two_parties_sharing_a_mark_each_see_every_maximum(tmp_path):
    """The sampler's reset after a spike does not cut it from the program's stage, and the
    program's cut does not hide it from the sampler's next reading; a reset outside the
    protocol (`alone`) would."""
    sampler, program = (PeakMark("self", party, str(tmp_path)) for party in (SAMPLER, PROGRAM))
    alone = PeakMark("self", PROGRAM)  # the same process's mark, reset outside the protocol
    try:
        for mark in (sampler, program):
            mark.take()
        spike()
        seen = sampler.take().peak  # the sampler reads and resets after the spike ...
        assert program.take().peak >= seen - RSS_COUNTER_SLACK  # ... the stage still has it
        spike()
        cut = program.take().peak  # the program cuts first ...
        assert sampler.take().peak >= cut - RSS_COUNTER_SLACK  # ... the sampler still sees it
        spike()
        alone.take()
        assert program.take().peak < seen - 64 * MIB  # lost to the reset outside
    finally:
        for mark in (sampler, program, alone):
            mark.close()


def test_a_lock_held_by_a_stopped_party_stops_nobody(tmp_path):
    """A party stopped in the middle of its take (ctrl-z, a debugger) holds the lock: the
    sampler reads the RSS alone that once, the program waits PROGRAM_WAIT_S and goes on, and
    nothing is lost once the lock is free again."""
    sampler, program = (PeakMark("self", party, str(tmp_path)) for party in (SAMPLER, PROGRAM))
    stopped = os.open(tmp_path / str(os.getpid()), os.O_RDWR)
    try:
        fcntl.flock(stopped, fcntl.LOCK_EX)
        assert sampler.try_take() is None
        started = time.monotonic()
        assert program.take().reset
        assert PROGRAM_WAIT_S <= time.monotonic() - started < 0.5
        fcntl.flock(stopped, fcntl.LOCK_UN)
        spike()
        seen = program.take().peak  # the program's cut had the spike ...
        after = sampler.try_take()  # ... and the sampler's next reading has it too
        assert after is not None and after.peak >= seen - RSS_COUNTER_SLACK
    finally:
        os.close(stopped)
        sampler.close()
        program.close()


def test_an_attached_process_is_read_in_point_samples_and_the_run_says_why(runs_dir):
    target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    try:
        done = run_memtop("attach", str(target.pid), "--no-tui", "--runs-dir", str(runs_dir),
                          timeout=60)
    finally:
        target.kill()
        target.wait()
    assert done.returncode == 0, done.stderr
    [path] = runs_dir.glob("*.db")
    run = read_run(str(path))
    assert run.meta["readings"]["kind"] == "point samples"
    assert "did not start" in run.meta["readings"]["why"]
    assert run.meta["interval_ms"] == 5.0
    assert all(row[2] == row[1] for row in run.samples())


def test_a_run_file_of_schema_3_reads_each_sample_as_its_own_maximum(tmp_path):
    """Written as memtop wrote schema 3 (two columns of samples), read by this memtop."""
    path = tmp_path / "three.db"
    write_run(path)
    with sqlite3.connect(path) as db:
        two = (True, False)
        for rowid, blob in db.execute("SELECT rowid, data FROM blocks WHERE series = 'samples'"
                                      ).fetchall():
            rows = [row[:2] for row in decode(blob, REAL_COLUMNS["samples"])]
            db.execute("UPDATE blocks SET data = ?, summary = ?, extremes = ? WHERE rowid = ?",
                       (encode(rows, two), encode(rows, two), encode(rows[-1:], two), rowid))
        db.execute("ALTER TABLE samples DROP COLUMN high")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
        db.execute("PRAGMA user_version = 3")
    run = read_run(str(path))
    assert run.version == 3 and run.samples()[0] == (1.0, 100 * MIB, 100 * MIB)
    shown = run_memtop("export", str(path), "--format", "csv", "-o", "-")
    assert shown.returncode == 0, shown.stderr
    assert "t_s,rss_bytes,high_bytes" in shown.stdout


@pytest.mark.parametrize("interval_ms", [None, 5.0])
def test_the_interval_is_the_default_for_maxima_or_the_one_asked(runs_dir, interval_ms):
    finished = run_program([sys.executable, "-c", "import time; time.sleep(1)"], runs_dir,
                           interval_ms=interval_ms)
    run = read_run(finished["path"])
    expected = interval_ms or INTERVAL_MAXIMA_S * 1000
    assert run.meta["interval_ms"] == expected
    assert run.meta["readings"]["kind"] == "interval maxima"
    samples = run.samples()
    gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(samples))
    assert gaps[len(gaps) // 2] == pytest.approx(expected / 1000, rel=0.3)
    # The run's shared marks went with it.
    assert not os.path.exists(os.path.join(runtime_dir(), "peaks", run.run_id))


def test_point_samples_when_asked_and_stage_peaks_stay_exact(runs_dir, tmp_path):
    """`--point-samples`: memtop never resets the mark from outside (the program reads its own
    VmHWM), the readings are the RSS at their moment, and the program's stage still has its
    spike whole."""
    program = tmp_path / "stage.py"
    program.write_text("import mmap, memtop\nwith memtop.stage('spike'):\n"
                       "    m = mmap.mmap(-1, 128 << 20, flags=mmap.MAP_PRIVATE | "
                       "mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)\n    m.close()\n")
    done = run_memtop("run", "--no-tui", "--point-samples", "--runs-dir", str(runs_dir), "--",
                      sys.executable, str(program), timeout=60)
    assert done.returncode == 0, done.stderr
    [path] = runs_dir.glob("*.db")
    run = read_run(str(path))
    assert run.meta["readings"] == {"kind": "point samples",
                                    "why": "asked for (--point-samples)"}
    assert run.meta["interval_ms"] == 5.0
    [spike] = run.stages
    assert spike["peak"] - spike["rss_start"] >= 127 * MIB and spike["peak_exact"]


def test_no_spike_is_lost_between_a_takes_read_and_its_reset_while_threads_hold_the_gil(
        tmp_path):
    """A take reads VmHWM and then resets it: what rises and falls between the two is lost to
    everyone. With `os` calls, another thread of the engine could take the GIL between them and
    hold it for a switch interval (5 ms); the two run back to back holding it."""
    import threading

    from memtop.engine.probes import peak_mark

    out = tmp_path / "spikes.json"
    child = subprocess.Popen([sys.executable, str(SPIKES)],
                             env={**os.environ, "SPIKES_OUT": str(out), "SPIKES": "40",
                                  "APART_S": "0.12"})
    mark = PeakMark(child.pid, SAMPLER)
    stop = threading.Event()
    takes: list[tuple[float, int]] = []

    def spin() -> None:  # pure Python: holds the GIL until the interpreter switches
        while not stop.is_set():
            sum(range(2000))

    # One: two spinners would take turns so that one of them has waited a whole interval by
    # the time the sampler gets the GIL, and drop it at any call (the kernel's own race then).
    spinners = [threading.Thread(target=spin)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.05)  # a switch interval longer than a spike: a gap holds one whole
    for spinner in spinners:
        spinner.start()
    try:
        while child.poll() is None:
            try:
                taken = mark.try_take()
            except peak_mark.ProcessGone:
                break
            assert taken is not None
            takes.append((time.monotonic(), taken.peak))
            time.sleep(0.005)
    finally:
        stop.set()
        for spinner in spinners:
            spinner.join()
        sys.setswitchinterval(switch)
        mark.close()
        child.wait()
    spikes = json.loads(out.read_text())
    times = [t for t, _ in takes]
    missed = []
    for t_peak, _, at, mib in spikes:
        # In the first take after its peak, or the one after (the take that read it before
        # its peak was written down late: a thread waits for the GIL). Not lost: at least its
        # size (the later take may hold the next spike's first pages too).
        k = next(i for i, t in enumerate(times) if t >= t_peak)
        if not any(peak >= at - max(0.01 * mib * MIB, RSS_COUNTER_SLACK)
                   for _, peak in takes[k:k + 2]):
            missed.append((round(t_peak, 3), mib))
    assert len(spikes) == 40 and not missed, missed
