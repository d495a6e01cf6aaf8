"""Two stages, each allocating through its own function: load_weights keeps 100 MiB,
build_cache 300 MiB. `memtop run --allocations` must name each as its stage's top site. Each
allocation sits 200 ms from its stage's edges: memtop places stage edges to memray's 10 ms
snapshots, whose thread a loaded machine (CI, 2 cores) can delay by tens of ms."""

import time

import memtop

MIB = 1024 * 1024


def load_weights() -> bytearray:
    return bytearray(100 * MIB)


def build_cache() -> bytearray:
    cache = bytearray(300 * MIB)
    cache[::4096] = b"x" * len(cache[::4096])
    return cache


with memtop.stage("load"):
    time.sleep(0.2)
    weights = load_weights()
    weights[::4096] = b"w" * len(weights[::4096])
    time.sleep(0.2)
with memtop.stage("cache"):
    time.sleep(0.2)
    cache = build_cache()
    time.sleep(0.2)
