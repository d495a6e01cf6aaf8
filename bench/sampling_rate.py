"""Achieved sampling rate and interval jitter (p50/p99) at 200 Hz and 1 kHz, from the run files
of `memtop run -- sleep` (the engine's sampler, end to end)."""

from __future__ import annotations

import argparse
import itertools
import tempfile

from common import emit, memtop, percentile

from memtop.engine.store import list_run_files, read_run


def measure(interval_ms: float, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as runs:
        result = memtop("run", "--no-tui", "--interval-ms", str(interval_ms), "--runs-dir", runs,
                        "--", "sleep", str(seconds))
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        samples = read_run(list_run_files(runs)[0]).samples()
    times = [row[0] for row in samples]
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    span = times[-1] - times[0]
    return {"bench": "sampling_rate", "target_hz": round(1000 / interval_ms),
            "achieved_hz": round((len(times) - 1) / span, 1), "samples": len(times),
            "interval_p50_ms": round(percentile(gaps, 0.5), 3),
            "interval_p99_ms": round(percentile(gaps, 0.99), 3),
            "interval_max_ms": round(max(gaps), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for interval in (5.0, 1.0):
        emit(measure(interval, 3 if args.quick else 10))


if __name__ == "__main__":
    main()
