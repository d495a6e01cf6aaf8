"""What explaining memory costs (issue #17), all measured here in one run:

- reading /proc/self/smaps and grouping it, at each stage cut of a large session (OpenVINO, GPT-2
  medium, random weights): the session records each reading's µs (`groups_us`);
- glibc's mallinfo2 at a cut, in a process whose heap holds 200,000 live and 200,000 freed
  chunks (it walks free lists);
- `--allocations` (memray, native stacks): GPT-2 base's second-inference latency on PyTorch
  with and without it, side by side, alternating, each a fresh session.
"""

from __future__ import annotations

import argparse
import ctypes
import tempfile
import time

from common import emit, median, memtop

from memtop.engine.probes.glibc_heap import heap_state
from memtop.engine.store import list_run_files, read_run


def smaps_cost(model: str) -> dict:
    with tempfile.TemporaryDirectory() as runs:
        result = memtop("bench", "--backend", "openvino", "--model", model, "--weights",
                        "random", "--no-tui", "--runs-dir", runs)
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-2000:])
        run = read_run(list_run_files(runs)[0])
        costs = {s["name"]: s.get("groups_us") for s in run.stages}
        return {"model": model, "peak_mb": run.summary()["peak_mb"], "groups_us": costs,
                "groups_kept": {s["name"]: len(s.get("groups") or {}) for s in run.stages}}


def mallinfo_cost(chunks: int = 200_000) -> dict:
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    pointers = [libc.malloc(256) for _ in range(2 * chunks)]
    for pointer in pointers[::2]:  # every other one freed: a fragmented heap
        libc.free(pointer)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        heap_state()
        times.append(time.perf_counter() - start)
    state = heap_state()
    for pointer in pointers[1::2]:
        libc.free(pointer)
    return {"chunks_live": chunks, "chunks_free": chunks, "median_us": median(times) * 1e6,
            "heap": state}


def latency(allocations: bool) -> float:
    with tempfile.TemporaryDirectory() as runs:
        result = memtop("bench", "--backend", "torch", "--model", "gpt2_base_en", "--weights",
                        "random", "--no-tui", "--runs-dir", runs,
                        *(["--allocations"] if allocations else []))
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-2000:])
        return read_run(list_run_files(runs)[0]).summary()["latency_second_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="gpt2_medium_en")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    plain, tracked = [], []
    for _ in range(args.repeats):  # alternating: drift on the machine hits both alike
        plain.append(latency(False))
        tracked.append(latency(True))
    emit({"bench": "explain_cost", "smaps": smaps_cost(args.model),
          "mallinfo2": mallinfo_cost(),
          "memray": {"latency_second_s_plain": plain, "latency_second_s_memray": tracked,
                     "slowdown": median(tracked) / median(plain)}})


if __name__ == "__main__":
    main()
