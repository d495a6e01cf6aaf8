"""Sampler cost per reading: memtop's statm read against psutil.memory_full_info() (the seeds'
method, which reads smaps_rollup) on the same ~3 GB process. Median of repeated timings."""

from __future__ import annotations

import argparse
import os

import psutil
from common import GIB, emit, hold_memory, median, timed

from memtop.engine.probes.procfs import StatmReader, read_status


def measure(size: int, quick: bool) -> dict:
    child = hold_memory(size)
    try:
        statm = StatmReader(child.pid)
        proc = psutil.Process(child.pid)
        rounds = 3 if quick else 7
        statm_s = median([timed(statm.rss_bytes, 20_000) for _ in range(rounds)])
        status_s = median([timed(lambda: read_status(child.pid), 5_000) for _ in range(rounds)])
        full_s = median([timed(proc.memory_full_info, 3 if quick else 10)
                         for _ in range(rounds)])
        rss = statm.rss_bytes()
        statm.close()
    finally:
        child.kill()
        child.wait()
    return {"bench": "sampler_cost", "process_rss_gib": round(rss / GIB, 2),
            "statm_us": round(statm_s * 1e6, 2), "status_us": round(status_s * 1e6, 2),
            "psutil_memory_full_info_ms": round(full_s * 1e3, 2),
            "ratio": round(full_s / statm_s), "goal_ratio": 1000,
            "cpus": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    emit(measure(3 * GIB, args.quick))


if __name__ == "__main__":
    main()
