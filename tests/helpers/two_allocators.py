"""Two stages, each allocating through its own function: load_weights keeps 100 MiB,
build_cache 300 MiB. `memtop run --allocations` must name each as its stage's top site. Each
stage lasts 30 ms past its allocation: memtop places stage edges to memray's 10 ms snapshots."""

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
    weights = load_weights()
    weights[::4096] = b"w" * len(weights[::4096])
    time.sleep(0.03)
with memtop.stage("cache"):
    cache = build_cache()
    time.sleep(0.03)
