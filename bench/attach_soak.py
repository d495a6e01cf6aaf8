"""Attach soak (a benchmark, not a CI test): `memtop attach` on a busy process for 10 minutes
(--minutes), sampling every 5 ms (--interval-ms 1: 1 kHz, five times the data an hour); memtop's
own RSS (CLI + engine) must grow by at most 5 MB after warming up. `--run`: the busy program
under `memtop run` instead, each reading its interval's maximum (the marks taken and shared)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time

from common import emit
from footprint import engine_of, rss_mb

WARM_UP_S = 90.0
BUSY = ("import time\n"
        "while True:\n"
        "    b = bytearray(64 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.05)\n"
        "    del b; time.sleep(0.05)\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval-ms", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="1 minute")
    parser.add_argument("--run", action="store_true", help="memtop run (interval maxima)")
    args = parser.parse_args()
    minutes = 1.0 if args.quick else args.minutes
    target = None if args.run else subprocess.Popen([sys.executable, "-c", BUSY])
    with tempfile.TemporaryDirectory() as runs:
        how = ["run", "--", sys.executable, "-c", BUSY] if target is None else \
            ["attach", str(target.pid)]
        cli = subprocess.Popen([sys.executable, "-m", "memtop", how[0], "--no-tui",
                                "--runs-dir", runs, "--interval-ms", str(args.interval_ms),
                                *how[1:]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # Warm-up: imports, first buffers, and the first minute's merge into a final block
            # (the writer's steady state: a minute of rows, the encoder's memory).
            time.sleep(min(WARM_UP_S, minutes * 60 / 4))
            engine = engine_of(cli.pid)
            first = rss_mb(cli.pid) + rss_mb(engine)
            readings = [first]
            deadline = time.monotonic() + minutes * 60 - min(WARM_UP_S, minutes * 60 / 4)
            while time.monotonic() < deadline:
                time.sleep(10)
                readings.append(rss_mb(cli.pid) + rss_mb(engine))
                print(f"{time.monotonic() - deadline:+.0f} s: {readings[-1]:.1f} MiB "
                      f"(first {first:.1f})", file=sys.stderr, flush=True)
        finally:
            if target is not None:
                target.kill()
                target.wait()
            else:  # the run's program: stopped as ctrl-c would
                cli.send_signal(signal.SIGINT)
            cli.wait(timeout=60)
    emit({"bench": "attach_soak", "how": how[0], "minutes": minutes,
          "interval_ms": args.interval_ms,
          "memtop_rss_first_mb": first,
          "memtop_rss_last_mb": readings[-1], "growth_mb": round(readings[-1] - first, 1),
          "max_mb": max(readings), "goal_growth_mb": 5})


if __name__ == "__main__":
    main()
