"""Days-long runs (issue #15): run files of 1, 8 and 72 hours at 200 Hz (status 20 Hz, system
2 Hz; since #29 each sample with its interval's maximum, 5% of them above its RSS) written by
the real writer from a synthetic feed, committed as the engine commits (every
0.5 s of the run's time). For each: how long the write takes, the file's size, and in a child
process each (so that its peak RSS is its own): open (`read_run`), `show` (the stored summary),
a replay's start and a seek to its end (what the dashboard does), a diff of two (the same file
twice), a Perfetto export as `memtop export` makes it (`--resolution auto`: each second's peaks
past 2,000,000 samples), and the detail chart's zoom (a 0.2 s window and an hour, both in the
last hour, at 160 columns).

    python bench/long_runs.py [--quick]      # quick: 1 and 8 hours; full: 1, 8 and 72
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

from common import MIB, emit

from memtop.engine.analysis.running_stats import RunningStats
from memtop.engine.spec import STAGES
from memtop.engine.store import RunWriter

HZ, PROC_HZ, SYSTEM_HZ = 200, 20, 2
COMMIT_S = 0.5

MEASURE = r"""
import json, sys, time
from memtop.engine.store import read_run
path, what = sys.argv[1], sys.argv[2]
start = time.perf_counter()
run = read_run(path)
if what == "show":
    run.summary(); run.statistics(); run.stages
elif what in ("replay", "seek_end"):
    from memtop.engine.client import RunBoard
    from memtop.engine.client import ReplaySource
    board = RunBoard()
    source = ReplaySource([run])
    if what == "seek_end":
        source.seek(source.duration)
    for message in source.wait():
        board.apply(message)
elif what == "diff":
    from memtop.engine.analysis.diff import compare_stages
    from memtop.engine.client import replayed_state
    a, b = replayed_state(run), replayed_state(read_run(path))
    compare_stages([a.stages, b.stages])
elif what == "export":
    from memtop.engine.report.perfetto import coarse_export, trace_chunks
    with open("/dev/null", "w") as out:
        for chunk in trace_chunks(run, coarse_export(run, "auto")):
            out.write(chunk)
elif what == "zoom":
    from memtop.engine.client import TimeWindow, window_maxima
    end = run.last_sample_time()
    for width in (0.2, 3600.0):
        window = TimeWindow(end - 1800 - width / 2, end - 1800 + width / 2, whole=False)
        assert max(v for v in window_maxima(run, "samples", 2, window, 160) if v)
took = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries the parent's peak at fork through exec into ru_maxrss.
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"s": round(took, 3), "rss_mb": round(peak, 1)}))
"""


def write_run(path: str, hours: float) -> float:
    """Writes `hours` of readings; the seconds it took, and those its end took."""
    began = time.perf_counter()
    start = 1000.0
    seconds = int(hours * 3600)
    writer = RunWriter(path, {"run_id": os.path.basename(path), "backend": "torch",
                              "model": "gpt2_medium_en", "t_start": start, "status": "running"})
    per_commit = int(HZ * COMMIT_S)
    us = int(start * 1e6)
    jitter = random.Random(1)
    rss = 1000 * MIB
    next_system = start
    stats = RunningStats(start)  # as the engine keeps them while the run goes
    ends = [start + seconds * n / len(STAGES) for n in range(1, len(STAGES) + 1)]
    for t in ends:  # told in time, as the session's events are
        stats.boundary(t)
        stats.boundary(t + 0.001)
    for _ in range(0, seconds * HZ, per_commit):
        samples = []
        for _sample in range(per_commit):
            us += 5_000 + jitter.randint(0, 40)  # microseconds, as the engine keeps them
            if jitter.random() < 0.1:  # a training loop's memory: moving by pages now and then
                rss += jitter.randint(-60, 64) * 4096
            # Each reading's maximum (schema 4): above its RSS where a batch's buffers came and
            # went between two readings.
            high = rss + (jitter.randint(1, 256) * 4096 if jitter.random() < 0.05 else 0)
            samples.append((us / 1e6, rss, high))
        writer.add_samples(samples)
        stats.add([row[0] for row in samples], [row[1] for row in samples])
        first = samples[0][0]
        writer.add_proc([(first + k / PROC_HZ, 1500 * MIB + k * 4096, 1600 * MIB, 0,
                          1400 * MIB, 100 * MIB, 1) for k in range(int(PROC_HZ * COMMIT_S))])
        while next_system <= samples[-1][0]:
            writer.add_system([(next_system, 20_000 * MIB, 0, 0, 0.0, 0.0, None, None)])
            next_system += 1 / SYSTEM_HZ
        writer.commit()
    stages = []
    for n, (name, t) in enumerate(zip(STAGES, ends, strict=True), 1):
        stages.append({"name": name, "t": t, "t_end": t + 0.001, "rss": 1500 * MIB, "swap": 0,
                       "peak": 1600 * MIB, "peak_exact": True})
        writer.add_stage(n, stages[-1])
    writer.commit()
    ending = time.perf_counter()  # what the engine does at a run's end: statistics, stored
    writer.set_meta({"status": "done", "t_end": us / 1e6, "summary": {"peak_mb": 1600.0},
                     "stats": stats.result(stages, start)})
    writer.close()
    return time.perf_counter() - began, time.perf_counter() - ending


def measure(path: str, what: str) -> dict:
    done = subprocess.run([sys.executable, "-c", MEASURE, path, what], capture_output=True,
                          text=True, timeout=3600)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--hours", type=float, nargs="*", help="these lengths instead")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for hours in args.hours or ((1, 8) if args.quick else (1, 8, 72)):
            path = os.path.join(folder, f"run-{hours}h.db")
            wrote, ending = write_run(path, hours)
            result = {"hours": hours, "samples": int(hours * 3600 * HZ),
                      "write_s": round(wrote, 1), "finish_s": round(ending, 1),
                      "file_mb": round(os.path.getsize(path) / MIB, 1),
                      **{what: measure(path, what) for what in
                         ("open", "show", "replay", "seek_end", "diff", "export", "zoom")}}
            results.append(result)
            os.unlink(path)
            print(json.dumps(result), file=sys.stderr, flush=True)
    first, last = results[0], results[-1]
    growth = {key: {"time": round(last[key]["s"] / max(first[key]["s"], 1e-3), 1),
                    "rss": round(last[key]["rss_mb"] / first[key]["rss_mb"], 2)}
              for key in ("open", "show", "replay", "seek_end", "diff", "export", "zoom")
              if "s" in first[key] and "s" in last[key]}
    emit({"bench": "long_runs", "runs": results, "growth_first_to_last": growth,
          "file_mb_per_hour": round(last["file_mb"] / last["hours"], 1)})


if __name__ == "__main__":
    main()
