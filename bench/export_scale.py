"""Export at scale: a one-hour run (720,000 samples at 200 Hz, written by the real writer)
exported to a Perfetto trace and to CSV by `memtop export`, against the same trace built whole in
memory and dumped at once (how export worked before it streamed), each in its own process. Peak
RSS and time of each."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from common import emit
from replay_scale import write_hour

# Each child reports its own kernel peak (VmHWM: per address space, so it starts fresh at exec,
# where ru_maxrss would carry this big parent's peak over the fork).
PEAK = """
with open("/proc/self/status") as f:
    print([line.split()[1] for line in f if line.startswith("VmHWM")][0], file=sys.stderr)
"""
STREAMED = "import sys\nfrom memtop.cli import main\nmain(sys.argv[1:])\n" + PEAK
WHOLE = """
import json, sys
from memtop.engine.report.perfetto import trace_chunks
from memtop.engine.store import read_run
events = json.loads("".join(trace_chunks(read_run(sys.argv[1]))))  # the whole trace held
with open(sys.argv[2], "w") as f:
    json.dump(events, f)
""" + PEAK


def measured(command: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of a child process."""
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-500:])
    return time.perf_counter() - start, int(done.stderr.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 600 if args.quick else 3600
    with tempfile.TemporaryDirectory() as folder:
        run = os.path.join(folder, "hour.db")
        write_hour(run, seconds, 0)
        figures = {}
        for name, command in (
                ("streamed_csv", [sys.executable, "-c", STREAMED, "export", run, "--format",
                                  "csv", "-o", os.path.join(folder, "s.csv")]),
                ("streamed_trace", [sys.executable, "-c", STREAMED, "export", run, "-o",
                                    os.path.join(folder, "t.json")]),
                ("whole_trace", [sys.executable, "-c", WHOLE, run,
                                 os.path.join(folder, "w.json")])):
            figures[name] = measured(command)
        with open(os.path.join(folder, "t.json")) as f:
            events = len(json.load(f)["traceEvents"])
    emit({"bench": "export_scale", "seconds_of_run": seconds, "samples": seconds * 200,
          "trace_events": events,
          **{f"{name}_s": round(s, 2) for name, (s, _) in figures.items()},
          **{f"{name}_rss_mb": round(mb, 1) for name, (_, mb) in figures.items()},
          "rss_ratio_whole_to_streamed": round(figures["whole_trace"][1] /
                                               figures["streamed_trace"][1], 1)})


if __name__ == "__main__":
    main()
