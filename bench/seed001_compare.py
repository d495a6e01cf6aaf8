"""Seed 001's own measurements beside memtop's, from one run of the seed's script under memtop.

    python bench/seed001_compare.py [--backend torch] [--model gpt2_medium_en]

Runs `memtop run --no-tui -- python bench/seed001_under_memtop.py`, reads the script's
`[STAGE]` lines and its polled peak from the output memtop kept, and prints them beside memtop's
figures for the same stages (memtop.mark() is called right after each record_stage()). Prints a
table, then one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024
STAGE_LINE = re.compile(r"\[STAGE\] (\w+): ([\d.]+) MB \(swap: ([\d.]+) MB\)")
PEAK_LINE = re.compile(r"Highest RAM recorded: ([\d.]+) MB")


def compare(backend: str, model: str, runs_dir: str) -> dict:
    from memtop.engine.store import list_run_files, read_run

    env = {**os.environ, "KERAS_BACKEND": backend, "MODEL": model}
    result = subprocess.run(
        [sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir", runs_dir, "--name",
         f"seed001-{backend}", "--", sys.executable, str(HERE / "seed001_under_memtop.py")],
        env=env, capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        raise RuntimeError(f"memtop run failed ({result.returncode}): {result.stderr[-2000:]}")
    run = read_run(list_run_files(runs_dir)[0])
    log = run.meta.get("log_tail", "")
    seed_stages = {m[1]: (float(m[2]), float(m[3])) for m in STAGE_LINE.finditer(log)}
    seed_peak = PEAK_LINE.search(log)
    rows = []
    for stage in run.stages:
        seed_rss, seed_swap = seed_stages.get(stage["name"], (None, None))
        rows.append({"stage": stage["name"], "seed_rss_mb": seed_rss,
                     "seed_swap_mb": seed_swap, "memtop_swap_mb": stage["swap"] / MIB,
                     "memtop_rss_mb": stage["rss"] / MIB,
                     "difference_mb": None if seed_rss is None else stage["rss"] / MIB - seed_rss,
                     "memtop_kernel_peak_mb": stage["peak"] / MIB,
                     "memtop_sampled_peak_mb": (stage.get("sampled_peak") or 0) / MIB or None})
    return {"bench": "seed001_compare", "backend": backend, "model": model,
            "stages": rows,
            "seed_polled_peak_mb": float(seed_peak[1]) if seed_peak else None,
            "memtop_peak_mb": max(s["peak"] for s in run.stages) / MIB if run.stages else None,
            "run_file": run.path}


def print_table(result: dict) -> None:
    print(f"seed 001 script vs memtop, {result['backend']} {result['model']} (MiB)")
    print(f"{'stage':<22}{'seed RSS':>11}{'memtop RSS':>12}{'diff':>8}{'kernel peak':>13}"
          f"{'sampled peak':>14}")
    for row in result["stages"]:
        def cell(value: float | None, width: int, spec: str = ".1f") -> str:
            return f"{'-' if value is None else format(value, spec):>{width}}"
        print(f"{row['stage']:<22}{cell(row['seed_rss_mb'], 11)}"
              f"{cell(row['memtop_rss_mb'], 12)}{cell(row['difference_mb'], 8, '+.1f')}"
              f"{cell(row['memtop_kernel_peak_mb'], 13)}{cell(row['memtop_sampled_peak_mb'], 14)}")
    print(f"peak over the run: seed's 20 ms poll {result['seed_polled_peak_mb']} MB, "
          f"memtop (kernel) {result['memtop_peak_mb']:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--model", default="gpt2_medium_en")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as runs_dir:
        result = compare(args.backend, args.model, runs_dir)
    print_table(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
