"""The page-fault-heavy workload of the perturbation benchmark (issue #29): THREADS threads each
map, fill (numpy) and unmap 16 MiB at a time (every page touched: a page fault each 4 KiB, and an
munmap at the end; mapped directly, as malloc's heap would reuse its pages), R timed rounds of
ARRAYS maps a thread. The sampler's reset of the high-water
mark takes the process's mmap write lock, which these faults and unmaps contend with. argv: R.
Prints JSON: each round's seconds."""

import json
import mmap
import sys
import threading
import time

import numpy as np

THREADS = 4
ARRAYS = 16
MIB = 1 << 20


def churn() -> None:
    for _ in range(ARRAYS):
        mapped = mmap.mmap(-1, 16 * MIB, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        block = np.frombuffer(mapped, dtype=np.float64)
        block.fill(1.0)  # written: resident
        del block
        mapped.close()


def one_round() -> float:
    threads = [threading.Thread(target=churn) for _ in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


one_round()  # warm-up
rounds = [one_round() for _ in range(int(sys.argv[1]))]
print(json.dumps({"latencies": rounds}), flush=True)
