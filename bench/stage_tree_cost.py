"""What the tree of stages costs (issue #25), side by side in one process:

1. In the measured program: a `memtop.stage()` block and a `memtop.mark()` (each a cut: read
   and reset of VmHWM) with the tree's bookkeeping, against the bare cut (read status, reset),
   per call, on a real event pipe drained by a thread, mapping groups off (as they are once
   their 2% share is spent).
2. In readers: a training run's stages (epochs × (batch marks + validation), as MemtopCallback
   makes them) placed, turned into rows, folded, and two runs aligned by occurrence, for 1,000
   to 100,000 stages; and `memtop show` of such a run file end to end.

    python bench/stage_tree_cost.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from memtop.engine.analysis.diff import compare_stages
from memtop.engine.analysis.stage_fold import fold_rows
from memtop.engine.analysis.stage_rows import table_rows
from memtop.engine.analysis.stage_tree import StagePlaces
from memtop.engine.probes.procfs import read_status, reset_hwm
from memtop.engine.session.cut_extras import CutExtras
from memtop.engine.session.stagepoint import EventChannel, StageRecorder
from memtop.engine.store.writer import RunWriter

MIB = 1024 * 1024


def drained_recorder() -> tuple[StageRecorder, int]:
    read_fd, write_fd = os.pipe()

    def drain() -> None:
        with os.fdopen(read_fd, "rb") as stream:
            while stream.read1(1 << 20):
                pass

    threading.Thread(target=drain, daemon=True).start()
    extras = CutExtras(groups_share=0.0)  # no smaps: the cut itself is measured
    extras.groups = lambda t: (None, None)  # type: ignore[method-assign]
    return StageRecorder(EventChannel(write_fd), collect=False, extras=extras), write_fd


def per_call_us(action, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - start) / count * 1e6


def in_process(count: int) -> dict[str, float]:
    recorder, write_fd = drained_recorder()
    outer = recorder.begin("fit")

    def block() -> None:
        recorder.end(recorder.begin("step"))

    bare = per_call_us(lambda: (read_status("self"), reset_hwm()), count)
    mark = per_call_us(lambda: recorder.boundary("batch"), count)
    blocks = per_call_us(block, count // 2)  # two cuts each
    recorder.end(outer)
    os.close(write_fd)
    return {"bare_cut_us": round(bare, 1), "mark_us": round(mark, 1),
            "block_us": round(blocks, 1)}


def training_stages(epochs: int, batches: int, t0: float = 0.0) -> list[dict]:
    """A MemtopCallback-shaped run, placed as the engine places it."""
    places, stages, t, ids = StagePlaces(), [], t0, iter(range(1, 10**9))

    def stage(name: str, parent: int | None, start: float, **extra) -> dict:
        event = {"type": "stage", "name": name, "parent": parent, "t_start": start, "t": t,
                 "t_end": t, "rss": 500 * MIB, "swap": 0, "peak": 510 * MIB,
                 "rss_start": 500 * MIB, "swap_start": 0, "peak_exact": True, **extra}
        places.stage(event)
        event.pop("type")
        stages.append(event)
        return event

    def begin(name: str, parent: int | None) -> tuple[int, float]:
        block = next(ids)
        places.begin({"id": block, "name": name, "parent": parent})
        return block, t

    fit, fit_start = begin("fit", None)
    for _ in range(epochs):
        epoch, epoch_start = begin("epoch", fit)
        edge = t
        for _ in range(batches):
            t += 0.01
            stage("batch", epoch, edge)
            edge = t
        test, test_start = begin("evaluate", epoch)
        t += 0.01
        stage("evaluate", epoch, test_start, block=test)
        t += 0.001
        stage("epoch", fit, epoch_start, block=epoch)
    t += 0.001
    stage("fit", None, fit_start, block=fit)
    return stages


def readers(sizes: list[int]) -> list[dict]:
    out = []
    for size in sizes:
        epochs = size // 7  # 5 batch marks, a validation and the epoch: 7 stages an epoch
        a, b = training_stages(epochs, 5), training_stages(epochs, 5)
        start = time.perf_counter()
        rows = table_rows(a)
        rows_s = time.perf_counter() - start
        start = time.perf_counter()
        folded = fold_rows(rows)
        fold_s = time.perf_counter() - start
        start = time.perf_counter()
        compare_stages([a, b], fold=True)
        diff_s = time.perf_counter() - start
        out.append({"stages": len(a), "rows_s": round(rows_s, 3), "fold_s": round(fold_s, 3),
                    "diff_folded_s": round(diff_s, 3), "folded_rows": len(folded)})
    return out


def show_wall(size: int) -> dict:
    """`memtop show` of a run file holding a training run of `size` stages."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "train.db")
        writer = RunWriter(path, {"run_id": "train", "kind": "run", "backend": "",
                                  "model": "train.py", "command": ["python", "train.py"],
                                  "status": "running"})
        writer.add_samples([(i / 100, 500 * MIB) for i in range(1000)])
        for seq, stage in enumerate(training_stages(size // 7, 5), 1):
            writer.add_stage(seq, stage)
        writer.set_meta({"status": "done"})
        writer.close()
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "memtop", "show", path], capture_output=True,
                              text=True, env={**os.environ, "COLUMNS": "160"})
        wall = time.perf_counter() - start
        assert done.returncode == 0, done.stderr
        return {"stages": size, "show_s": round(wall, 2),
                "lines": len(done.stdout.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count = 2_000 if args.quick else 20_000
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    print(json.dumps({"bench": "stage_tree_cost", "in_process": in_process(count),
                      "readers": readers(sizes),
                      "show": [show_wall(n) for n in sizes[:2]]}))


if __name__ == "__main__":
    main()
