"""Runs every benchmark and writes their figures to bench/results/latest.json.

    python bench/run_all.py            # the full suite (about 50 minutes on 2 cores)
    python bench/run_all.py --quick    # a few minutes: smaller sizes and fewer repeats

Each benchmark runs alone in its own process (side by side figures come from one process each).
docs/BENCHMARKS.md holds the figures of a full run and says which goals are met.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["sampler_cost", "sampling_rate", "peak_fidelity", "perturbation", "replay_scale",
           "tui_cpu", "footprint", "attach_soak", "export_scale", "ls_scale", "attach_latency",
           "long_runs", "own_cost", "stage_tree_cost"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", choices=BENCHES)
    args = parser.parse_args()
    results = []
    for name in args.only or BENCHES:
        start = time.monotonic()
        command = [sys.executable, str(HERE / f"{name}.py")] + (["--quick"] if args.quick else [])
        done = subprocess.run(command, capture_output=True, text=True, cwd=HERE)
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            lines = [{"bench": name, "error": done.stderr.strip().splitlines()[-1:]}]
        for line in lines:
            line["seconds"] = round(time.monotonic() - start, 1)
            print(json.dumps(line), flush=True)
        results += lines
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps({
        "quick": args.quick, "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "results": results}, indent=2))


if __name__ == "__main__":
    main()
