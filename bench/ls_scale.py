"""`memtop ls` of a large runs folder: the first listing (every file opened and checked) and the
next (the listing cache: unchanged files are not opened again; engine/store/listing.py).

    python bench/ls_scale.py [--quick]     # 10,000 runs (quick: 2,000)

The runs are hard links to one recorded run (tests/fixtures/runs), so the folder costs one file
of disk. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "runs" / \
    "20261122-031034-torch-gpt2_medium_en-25f2.db"


def timed_ls(runs: str, cache: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "memtop", "ls", "--runs-dir", runs], check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "XDG_CACHE_HOME": cache})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    count = 2_000 if parser.parse_args().quick else 10_000
    with tempfile.TemporaryDirectory() as folder:
        runs, cache = os.path.join(folder, "runs"), os.path.join(folder, "cache")
        os.mkdir(runs)
        for i in range(count):
            os.link(RUN, os.path.join(runs, f"run-{i:05d}.db"))
        first = timed_ls(runs, cache)
        cached = timed_ls(runs, cache)
    print(json.dumps({"bench": "ls_scale", "runs": count, "first_s": round(first, 2),
                      "cached_s": round(cached, 2), "goal_cached_s": 1.0}))


if __name__ == "__main__":
    main()
