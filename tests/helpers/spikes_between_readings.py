"""Short spikes for the interval-maxima tests (tests/test_interval_maxima.py): each one filled,
held 2-5 ms, and freed. Writes [[t_peak, t_gone, rss_at_peak, mib], ...] as JSON to the file
SPIKES_OUT names.

EDGES=1: each spike inside a `memtop.stage` block of its own, freed less than a millisecond
before the block ends, the next block beginning at once: a spike's peak must be its own
stage's, never the next one's."""

import json
import mmap
import os
import random
import time

PAGE = os.sysconf("SC_PAGE_SIZE")
rng = random.Random(int(os.environ.get("SEED", "29")))
edges = os.environ.get("EDGES") == "1"
count = int(os.environ.get("SPIKES", "50"))
apart = float(os.environ.get("APART_S", "0.11"))  # the least time between two spikes


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def spike(mib: int) -> list:
    # MAP_POPULATE: every page resident before the hold begins (and quickly).
    block = mmap.mmap(-1, mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS |
                      mmap.MAP_POPULATE)
    at, t_peak = rss(), time.monotonic()
    time.sleep(rng.uniform(0.002, 0.005))
    block.close()  # munmap: the RSS falls at once
    return [t_peak, time.monotonic(), at, mib]


time.sleep(0.8)  # a child of the run is found within half a second
found = []
if edges:
    import memtop

    for i in range(count):
        with memtop.stage(f"s{i}"):
            found.append(spike(rng.randint(32, 256)))
else:
    for _ in range(count):
        found.append(spike(rng.randint(32, 256)))
        time.sleep(rng.uniform(apart, apart * 1.8))  # a reading (100 ms) between two spikes
with open(os.environ["SPIKES_OUT"], "w") as out:
    json.dump(found, out)
