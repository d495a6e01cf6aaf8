"""Perturbation: GPT-2 base second-inference latency unmonitored, under memtop (`memtop run`, 5 ms
sampling from outside), and under the seeds' in-process monitor thread (memory_full_info every
20 ms). Conditions alternate, each in a fresh process; the medians and their ratios."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from common import HERE, emit, median, memtop

from memtop.engine.store import list_run_files, read_run

WORKLOAD = str(HERE / "perturb_workload.py")


def _last_json(text: str) -> dict:
    return json.loads(next(line for line in reversed(text.strip().splitlines())
                           if line.startswith("{")))


def plain(repeats: int, mode: str = "plain") -> list[float]:
    out = subprocess.run([sys.executable, WORKLOAD, mode, str(repeats)], capture_output=True,
                         text=True, check=True,
                         env={**os.environ, "KERAS_BACKEND": "torch",
                              "TF_CPP_MIN_LOG_LEVEL": "2"}).stdout
    return _last_json(out)["latencies"]


def under_memtop(repeats: int) -> list[float]:
    with tempfile.TemporaryDirectory() as runs:
        result = memtop("run", "--no-tui", "--runs-dir", runs, "--", sys.executable, WORKLOAD,
                        "plain", str(repeats), env={"KERAS_BACKEND": "torch"})
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return _last_json(read_run(list_run_files(runs)[0]).meta["log_tail"])["latencies"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, repeats = (1, 5) if args.quick else (3, 10)
    times: dict[str, list[float]] = {"unmonitored": [], "memtop": [], "seed_thread": []}
    for _ in range(rounds):
        times["unmonitored"] += plain(repeats)
        times["memtop"] += under_memtop(repeats)
        times["seed_thread"] += plain(repeats, "seed-thread")
    base = median(times["unmonitored"])
    emit({"bench": "perturbation", "model": "gpt2_base_en (random weights, torch)",
          "generations_each": rounds * repeats,
          "unmonitored_s": round(base, 4), "memtop_s": round(median(times["memtop"]), 4),
          "seed_thread_s": round(median(times["seed_thread"]), 4),
          "memtop_ratio": round(median(times["memtop"]) / base, 4),
          "seed_thread_ratio": round(median(times["seed_thread"]) / base, 4),
          "goal": "memtop within 1%"})


if __name__ == "__main__":
    main()
