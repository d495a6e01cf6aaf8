"""Replay at scale: a one-hour run sampled at 200 Hz (720,000 samples; status at 20 Hz, system at
2 Hz) written by the real writer. Its file size, the time to open it for replay (read, build the
message stream, first frame) and to its end (the whole state), and the time to diff two."""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time

from common import MIB, emit

from memtop.engine.analysis.diff import compare_stages
from memtop.engine.client import RunBoard, replayed_state
from memtop.engine.spec import STAGES
from memtop.engine.store import RunWriter, read_run

HZ = 200


def write_hour(path: str, seconds: int, seed: int) -> None:
    start = 1000.0
    writer = RunWriter(path, {"run_id": os.path.basename(path), "backend": "torch",
                              "model": "gpt2_medium_en", "t_start": start, "status": "running"})
    batch = []
    for i in range(seconds * HZ):
        t = start + i / HZ
        batch.append((t, int((1000 + 500 * math.sin(i / 5000 + seed) + (i % 7)) * MIB)))
        if len(batch) == 10_000:
            writer.add_samples(batch)
            batch = []
    writer.add_samples(batch)
    writer.add_proc([(start + i / 20, 1500 * MIB, 1600 * MIB, 0, 1400 * MIB, 100 * MIB, 1)
                     for i in range(seconds * 20)])
    writer.add_system([(start + i / 2, 20_000 * MIB, 0, 0, 0.0, 0.0, None, None)
                       for i in range(seconds * 2)])
    for n, name in enumerate(STAGES, 1):
        t = start + seconds * n / len(STAGES)
        writer.add_stage(n, {"name": name, "t": t, "t_end": t + 0.001, "rss": 1500 * MIB,
                             "swap": 0, "peak": 1600 * MIB, "peak_exact": True})
    writer.set_meta({"status": "done", "t_end": start + seconds})
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 600 if args.quick else 3600
    from memtop.engine.client import ReplaySource

    with tempfile.TemporaryDirectory() as folder:
        paths = [os.path.join(folder, f"hour-{i}.db") for i in (1, 2)]
        for seed, path in enumerate(paths):
            write_hour(path, seconds, seed)
        size = os.path.getsize(paths[0])
        # What the dashboard does: messages from the source, folded into its board.
        start = time.perf_counter()
        source = ReplaySource([read_run(paths[0])])
        board = RunBoard()
        for message in source.wait():
            board.apply(message)
        opened = time.perf_counter() - start
        start = time.perf_counter()
        source.seek(source.duration)
        for message in source.wait():
            board.apply(message)
        to_end = time.perf_counter() - start
        assert board.runs[0].status == "done"
        start = time.perf_counter()
        a, b = (replayed_state(read_run(p)) for p in paths)
        rows = compare_stages([a.stages, b.stages])
        diffed = time.perf_counter() - start
    hour_scale = 3600 / seconds
    emit({"bench": "replay_scale", "seconds_of_run": seconds, "samples": seconds * HZ,
          "file_mb": round(size / MIB, 1), "file_mb_per_hour": round(size / MIB * hour_scale, 1),
          "open_s": round(opened, 3), "seek_to_end_s": round(to_end, 3),
          "diff_two_s": round(diffed, 3), "diff_rows": len(rows),
          "goals": {"open_s": 1.0, "file_mb_per_hour": 30}})


if __name__ == "__main__":
    main()
