"""memtop's own cost: the CPU of all its processes (the headless CLI and the engine) per second
of watching, thread by thread, at its default (interval maxima every 100 ms) beside point samples
at 200 Hz and 1 kHz (what memtop did before issue #29), and the perturbation of a model run and
of a page-fault-heavy workload beside the peers'.

CPU: `memtop run --no-tui [options] -- sleep S` (and a program of 32 threads); after a settling
second and a half, the CPU of every thread of every memtop process (the CLI and the engine it
started: what the engine starts is the program's) over a window, from
/proc/PID/task/TID/schedstat (nanoseconds, exact; the kernel's tick times swing by half between
windows on this VM), as a share of one core, by thread name (the engine names its threads:
memtop-engine, memtop-sampler). Several rounds, the median. Beside it,
the floor: a Python thread that only reads statm and sleeps at the same rate (each wake-up is a
scheduler round trip, which a VM makes dear).

Perturbation: GPT-2 base (random weights, torch) second-and-later generation latency, and the
page-fault-heavy workload (bench/pagefault_workload.py: four threads mapping, filling and
unmapping 16 MiB: the high-water mark's reset takes the mmap write lock they fault under), each
unmonitored, under memtop (its default), under memtop's point samples at 5 ms (before #29),
under memtop's interval maxima at 1 ms (100 times the default's readings and resets: a cost per
reading too small to resolve at the default shows there, to be divided by 100), under mprof
(memory_profiler, 10 ms) and under `memray run`; the conditions interleave round by
round (each round in a shuffled order), each in a fresh process, until every condition has at
least `--generations` timings (`--repeats` a round). Median latency and the ratio to
unmonitored for each, and the paired ratio: each round's median over that round's unmonitored
one (drift between rounds cancels), its median and quartiles over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import psutil
from common import HERE, emit, median

from memtop.engine.store import list_run_files, read_run

GPT2 = [str(HERE / "perturb_workload.py"), "plain"]
PAGE_FAULTS = [str(HERE / "pagefault_workload.py")]
SETTLE_S = 1.5
# name -> memtop's options, and the floor's interval
# A program of many threads: the tree's listing reads each thread's children file.
THREADS_32 = [sys.executable, "-c", "import threading, time; [threading.Thread(target=time.sleep, "
              "args=(3600,), daemon=True).start() for _ in range(32)]; time.sleep(3600)"]
CPU_CONDITIONS = {
    "default: interval maxima, 100 ms": ([], 100.0),
    "default, watching a program of 32 threads": (["--program", "threads"], 100.0),
    "interval maxima, 50 ms": (["--interval-ms", "50"], 50.0),
    "interval maxima, 20 ms": (["--interval-ms", "20"], 20.0),
    "interval maxima, 5 ms": (["--interval-ms", "5"], 5.0),
    "point samples, 5 ms (200 Hz before #29)": (["--interval-ms", "5", "--point-samples"], 5.0),
    "point samples, 1 ms (1 kHz before #29)": (["--interval-ms", "1", "--point-samples"], 1.0),
}


def _own_processes(cli: psutil.Process) -> list[psutil.Process]:
    """The CLI and the engine it started (its child); what the engine starts is the program."""
    return [cli, *cli.children(recursive=False)]


def _threads_ns(processes: list[psutil.Process], cli: int) -> dict[tuple[int, int], tuple]:
    """(pid, tid) -> (role and thread name, CPU nanoseconds so far)."""
    found = {}
    for process in processes:
        try:
            tids = os.listdir(f"/proc/{process.pid}/task")
        except OSError:
            continue
        role = "cli" if process.pid == cli else "engine"
        for tid in tids:
            try:
                with open(f"/proc/{process.pid}/task/{tid}/schedstat") as f:
                    ns = int(f.read().split()[0])
                with open(f"/proc/{process.pid}/task/{tid}/comm") as f:
                    name = f.read().strip()
            except OSError:
                continue
            found[(process.pid, int(tid))] = (f"{role} {name}", ns)
    return found


def cpu_share(options: list[str], window_s: float) -> dict:
    """memtop's own CPU over `window_s` of watching `sleep` (or, with `--program threads` in
    `options`, a program of 32 threads), in all and by thread."""
    program = ["sleep", str(window_s + SETTLE_S + 2)]
    if options[:2] == ["--program", "threads"]:
        options, program = options[2:], ["timeout", str(window_s + SETTLE_S + 2), *THREADS_32]
    with tempfile.TemporaryDirectory() as runs:
        cli = subprocess.Popen(
            [sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir", runs, *options,
             "--", *program],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(SETTLE_S)
            own = _own_processes(psutil.Process(cli.pid))
            before, start = _threads_ns(own, cli.pid), time.monotonic()
            time.sleep(window_s)
            after, elapsed = _threads_ns(own, cli.pid), time.monotonic() - start
            by_thread: dict[str, float] = defaultdict(float)
            for key, (name, ns) in after.items():
                by_thread[name] += (ns - before.get(key, (name, 0))[1]) / 1e9 / elapsed
            cli.wait(timeout=60)
            files = list_run_files(runs)
            meta = read_run(files[0]).meta if files else {}
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
    return {"share": sum(by_thread.values()), "by_thread": dict(by_thread),
            "interval_ms": meta.get("interval_ms"), "readings": meta.get("readings")}


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


def one_round(condition: str, workload_args: list[str], repeats: int) -> list[float]:
    """One fresh process of the workload under one condition: its timed latencies."""
    workload = [sys.executable, *workload_args, str(repeats)]
    with tempfile.TemporaryDirectory() as folder:
        if condition == "unmonitored":
            command = workload
        elif condition.startswith("memtop"):
            options = MEMTOP_OPTIONS[condition]
            command = [sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir", folder,
                       *options, "--", *workload]
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
        if condition.startswith("memtop"):
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


# memtop's conditions and their options. At 1 ms memtop takes 100 times the readings (and the
# mark's resets) of its default: a cost per reading too small to see at 100 ms shows there.
MEMTOP_OPTIONS = {"memtop": [], "memtop points 5 ms": ["--interval-ms", "5", "--point-samples"],
                  "memtop maxima 1 ms": ["--interval-ms", "1"],
                  "memtop maxima 1 s": ["--interval-ms", "1000"]}
CONDITIONS = ("unmonitored", *MEMTOP_OPTIONS, "mprof", "memray")
DEFAULT_CONDITIONS = ("memtop", "memtop points 5 ms", "memtop maxima 1 ms", "mprof", "memray")


def perturbation(workload: list[str], generations: int, repeats: int,
                 chosen: list[str] | None = None) -> dict:
    """Pooled medians and their ratio to unmonitored, and the paired ratio: each round's median
    over that round's unmonitored one, so that what drifts between rounds (the VM's neighbours,
    its clock) cancels; its median and quartiles over the rounds."""
    conditions = [c for c in CONDITIONS if _available(c) and
                  (c == "unmonitored" or c in (chosen or DEFAULT_CONDITIONS))]
    times: dict[str, list[float]] = {c: [] for c in conditions}
    rounds: list[dict[str, float]] = []  # each round's median, by condition
    order = random.Random(29)  # each round in its own order: none always follows another
    while min(len(v) for v in times.values()) < generations:
        this_round = {}
        for condition in order.sample(conditions, len(conditions)):
            found = one_round(condition, workload, repeats)
            times[condition] += found
            this_round[condition] = median(found)
        rounds.append(this_round)
    base = median(times["unmonitored"])
    paired = {c: sorted(r[c] / r["unmonitored"] for r in rounds) for c in conditions}
    return {"generations_each": min(len(v) for v in times.values()), "rounds": len(rounds),
            "median_s": {c: round(median(v), 4) for c, v in times.items()},
            "ratio": {c: round(median(v) / base, 4) for c, v in times.items()},
            "paired_ratio": {c: {"median": round(median(v), 4),
                                 "quartiles": [round(q, 4) for q in _quartiles(v)],
                                 "rounds_slower": sum(x > 1 for x in v)}
                             for c, v in paired.items() if c != "unmonitored"},
            "missing": [c for c in (chosen or DEFAULT_CONDITIONS) if not _available(c)]}


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4)
    return q1, q3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cpu-only", action="store_true")
    parser.add_argument("--perturbation-only", action="store_true")
    parser.add_argument("--only", help="the CPU conditions whose names hold this text")
    parser.add_argument("--generations", type=int)
    parser.add_argument("--repeats", type=int, help="timings a round (fewer: more rounds)")
    parser.add_argument("--conditions", help="these perturbation conditions, comma-separated "
                        f"(unmonitored always; of {', '.join(CONDITIONS[1:])})")
    parser.add_argument("--workloads", default="gpt2,page_faults",
                        help="which perturbations (gpt2, page_faults)")
    args = parser.parse_args()
    rounds, window = (1, 6.0) if args.quick else (3, 15.0)
    cpu = {}
    conditions = {} if args.perturbation_only else \
        {k: v for k, v in CPU_CONDITIONS.items() if not args.only or args.only in k}
    floors = {ms: median([floor_share(ms, window) for _ in range(rounds)])
              for ms in sorted({ms for _, ms in conditions.values()})}
    for label, (options, floor_ms) in conditions.items():
        shares = [cpu_share(options, window) for _ in range(rounds)]
        middle = sorted(shares, key=lambda s: s["share"])[len(shares) // 2]
        cpu[label] = {"own_cpu_pct": round(100 * middle["share"], 2),
                      "by_thread_pct": {name: round(100 * share, 2) for name, share in
                                        sorted(middle["by_thread"].items(),
                                               key=lambda item: -item[1]) if share >= 0.0005},
                      f"floor_pct ({floor_ms:g} ms)": round(100 * floors[floor_ms], 2),
                      "interval_ms": middle["interval_ms"], "readings": middle["readings"]}
    result = {"bench": "own_cost", "window_s": window, "rounds": rounds, "cpu": cpu,
              "goal_pct": {"default": 0.5}}
    if not args.cpu_only:
        generations = args.generations or (10 if args.quick else 60)
        repeats = args.repeats or (5 if args.quick else 10)
        workloads = {"gpt2": ({"model": "gpt2_base_en (random weights, torch)"}, GPT2),
                     "page_faults": ({"workload": "4 threads mapping, filling, unmapping "
                                                  "16 MiB"}, PAGE_FAULTS)}
        result["perturbation"] = {"goal": "memtop within 1%"}
        chosen = args.conditions.split(",") if args.conditions else None
        if set(chosen or ()) - set(CONDITIONS):
            parser.error(f"--conditions: of {', '.join(CONDITIONS[1:])}")
        for name in args.workloads.split(","):
            said, workload = workloads[name]
            result["perturbation"][name] = {**said,
                                            **perturbation(workload, generations, repeats,
                                                         chosen)}
    emit(result)


if __name__ == "__main__":
    main()
