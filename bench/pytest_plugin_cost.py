"""memtop's pytest plugin beside plain pytest and pytest-memray, on a real third-party test
suite installed here (numpy's own: `pytest --pyargs numpy.lib`, about a minute plain; it needs
hypothesis). The three conditions interleave round by round, each a fresh pytest process:

- plain: `-p no:memtop` (the plugin is installed with memtop: turned off);
- memtop: `--memtop --memtop-json` (each test's exact peak per phase, the table at the end);
- memray: `-p no:memtop --memray --most-allocations=5` (pytest-memray tracking every allocation).

Wall time of each run, the median per condition, the ratio to plain; and the top five tests of
memtop's report (peak above the call's start) and of pytest-memray's (allocated memory).
Usage: python bench/pytest_plugin_cost.py [--rounds 2] [--suite numpy.lib]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, median

CONDITIONS = {
    "plain": ["-p", "no:memtop"],
    "memtop": ["--memtop", "--memtop-json", "{json}"],
    "memray": ["-p", "no:memtop", "--memray", "--most-allocations=5"],
}


def run(suite: str, extra: list[str], folder: Path) -> tuple[float, str]:
    command = [sys.executable, "-m", "pytest", "--pyargs", suite, "-q", "-p", "no:cacheprovider",
               "-p", "no:textual-snapshot", "-p", "no:syrupy",
               *(a.replace("{json}", str(folder / "memtop.json")) for a in extra)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout[-2000:]}")
    return took, done.stdout


def memtop_top(path: Path) -> list[tuple[str, float]]:
    tests = json.loads(path.read_text())["tests"]
    tests.sort(key=lambda t: t["call_rise_mib"] or 0.0, reverse=True)
    return [(t["nodeid"].split("::")[-1], round(t["call_rise_mib"], 1)) for t in tests[:5]]


def memray_top(out: str) -> list[str]:
    lines = out.splitlines()
    start = next((i for i, line in enumerate(lines) if "MEMRAY REPORT" in line), None)
    if start is None:
        return []
    found, test = [], None
    for line in lines[start + 1:]:
        text = line.strip()
        if text.startswith("Allocation results for"):
            test = text.split("::")[-1].split(" at the")[0]
        elif "Total memory allocated:" in text and test is not None:
            found.append(f"{test}: {text.split(':', 1)[1].strip()}")
            test = None
    return found[:5]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--suite", default="numpy.lib")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CONDITIONS}
    tops: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        for _ in range(args.rounds):
            for name, extra in CONDITIONS.items():
                took, out = run(args.suite, extra, folder)
                times[name].append(round(took, 2))
                if name == "memtop":
                    tops["memtop"] = memtop_top(folder / "memtop.json")
                elif name == "memray":
                    tops["memray"] = memray_top(out)
    plain = median(times["plain"])
    emit({"bench": "pytest_plugin_cost", "suite": args.suite, "rounds": args.rounds,
          "wall_s": times, "median_s": {k: median(v) for k, v in times.items()},
          "ratio_to_plain": {k: round(median(v) / plain, 4) for k, v in times.items()},
          "top": tops})


if __name__ == "__main__":
    main()
