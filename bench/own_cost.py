"""memtop's own cost: the CPU of all its processes (the headless CLI and the engine) per second
of watching, at 200 Hz and 1 kHz, and the perturbation of a model run beside the peers'.

CPU: `memtop run --no-tui --interval-ms N -- sleep S`; after a settling second, the CPU ticks of
every memtop process (the CLI and its descendants, less the watched program's tree) over a
window, as a share of one core. Several rounds, the median. Beside it, the floor: a Python
thread that only reads statm and sleeps at the same rate (each wake-up is a scheduler round
trip, which a VM makes dear).

Perturbation: GPT-2 base (random weights, torch) second-inference latency, unmonitored, under
memtop (5 ms), under mprof (memory_profiler, 10 ms) and under `memray run`; the conditions
interleave round by round, each in a fresh process, until every condition has at least
`--generations` generations. Median latency and the ratio to unmonitored for each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import psutil
from common import HERE, emit, median

from memtop.engine.store import list_run_files, read_run

WORKLOAD = str(HERE / "perturb_workload.py")
SETTLE_S = 1.5


def _own_processes(cli: psutil.Process, watched: str) -> list[psutil.Process]:
    """The CLI and its descendants, less the watched program and its children."""
    own = [cli]
    for child in cli.children(recursive=True):
        try:
            if child.name() == watched or child.parent().name() == watched:
                continue
        except psutil.Error:
            continue
        own.append(child)
    return own


def _cpu_s(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def cpu_share(interval_ms: float, window_s: float) -> dict:
    """memtop's own CPU over `window_s` of watching `sleep` at one interval."""
    with tempfile.TemporaryDirectory() as runs:
        cli = subprocess.Popen(
            [sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir", runs,
             "--interval-ms", str(interval_ms), "--", "sleep", str(window_s + SETTLE_S + 2)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(SETTLE_S)
            process = psutil.Process(cli.pid)
            own = _own_processes(process, "sleep")
            before, start = _cpu_s(own), time.monotonic()
            time.sleep(window_s)
            used, elapsed = _cpu_s(own) - before, time.monotonic() - start
            samples = None
            cli.wait(timeout=60)
            files = list_run_files(runs)
            if files:
                samples = len(read_run(files[0]).samples())
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
    return {"share": used / elapsed, "processes": len(own), "samples": samples}


FLOOR = """
import os, resource, sys, threading, time
interval = float(sys.argv[1])
fd = os.open(f"/proc/{os.getpid()}/statm", os.O_RDONLY)
def loop():
    while True:
        os.pread(fd, 128, 0)
        time.sleep(interval)
threading.Thread(target=loop, daemon=True).start()
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
time.sleep(1.0)
before, start = cpu(), time.monotonic()
time.sleep(float(sys.argv[2]))
print((cpu() - before) / (time.monotonic() - start))
"""


def floor_share(interval_ms: float, window_s: float) -> float:
    """What a Python thread that does nothing but read statm and sleep costs at this rate:
    no sampler that wakes once a sample, in Python, costs less on this machine."""
    done = subprocess.run([sys.executable, "-c", FLOOR, str(interval_ms / 1000), str(window_s)],
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def _latencies(text: str) -> list[float]:
    line = next(line for line in reversed(text.strip().splitlines()) if line.startswith("{"))
    return json.loads(line)["latencies"]


def _torch_env() -> dict:
    return {**os.environ, "KERAS_BACKEND": "torch", "TF_CPP_MIN_LOG_LEVEL": "2"}


def one_round(condition: str, repeats: int) -> list[float]:
    """One fresh process of the workload under one condition: its timed latencies."""
    workload = [sys.executable, WORKLOAD, "plain", str(repeats)]
    with tempfile.TemporaryDirectory() as folder:
        if condition == "unmonitored":
            command = workload
        elif condition == "memtop":
            command = [sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir", folder,
                       "--", *workload]
        elif condition == "mprof":
            command = [_mprof() or "mprof", "run", "--interval", "0.01",
                       "--output", os.path.join(folder, "mprof.dat"), *workload]
        else:  # memray
            command = [sys.executable, "-m", "memray", "run", "--quiet", "-o",
                       os.path.join(folder, "capture.bin"), *workload[1:]]
        done = subprocess.run(command, capture_output=True, text=True, env=_torch_env(),
                              cwd=folder, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{condition}: {done.stderr.strip()[-400:]}")
        if condition == "memtop":
            return _latencies(read_run(list_run_files(folder)[0]).meta["log_tail"])
        return _latencies(done.stdout)


def _mprof() -> str | None:
    beside = os.path.join(os.path.dirname(sys.executable), "mprof")  # the venv's, unactivated
    return beside if os.path.exists(beside) else shutil.which("mprof")


def _available(condition: str) -> bool:
    if condition == "mprof":
        return _mprof() is not None
    if condition == "memray":
        return subprocess.run([sys.executable, "-m", "memray", "--version"],
                              capture_output=True, check=False).returncode == 0
    return True


def perturbation(generations: int, repeats: int) -> dict:
    conditions = [c for c in ("unmonitored", "memtop", "mprof", "memray") if _available(c)]
    times: dict[str, list[float]] = {c: [] for c in conditions}
    while min(len(v) for v in times.values()) < generations:
        for condition in conditions:
            times[condition] += one_round(condition, repeats)
    base = median(times["unmonitored"])
    return {"generations_each": min(len(v) for v in times.values()),
            "median_s": {c: round(median(v), 4) for c, v in times.items()},
            "ratio": {c: round(median(v) / base, 4) for c, v in times.items()},
            "missing": [c for c in ("mprof", "memray") if c not in conditions]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cpu-only", action="store_true")
    parser.add_argument("--generations", type=int)
    args = parser.parse_args()
    rounds, window = (1, 6.0) if args.quick else (3, 15.0)
    cpu = {}
    for label, interval in (("200Hz", 5.0), ("1kHz", 1.0)):
        shares = [cpu_share(interval, window) for _ in range(rounds)]
        floor = median([floor_share(interval, window) for _ in range(rounds)])
        cpu[label] = {"own_cpu_pct": round(100 * median([s["share"] for s in shares]), 2),
                      "floor_pct": round(100 * floor, 2),
                      "processes": shares[0]["processes"], "samples": shares[0]["samples"]}
    result = {"bench": "own_cost", "window_s": window, "rounds": rounds, "cpu": cpu,
              "goal_pct": {"200Hz": 0.5, "1kHz": 1.5}}
    if not args.cpu_only:
        generations = args.generations or (10 if args.quick else 60)
        result["perturbation"] = {"model": "gpt2_base_en (random weights, torch)",
                                  **perturbation(generations, 5 if args.quick else 10),
                                  "goal": "memtop within 1%"}
    emit(result)


if __name__ == "__main__":
    main()
