"""N spikes of SIZE bytes, each allocated and touched in one call (mmap with MAP_POPULATE), held
about 2 ms and freed, each inside its own memtop.stage block. For every spike it records its own
RSS just before and at the top (the truth), and how long populating and freeing took. Prints one
JSON line."""

import json
import mmap
import os
import sys
import time

import memtop

PAGE = os.sysconf("SC_PAGE_SIZE")
count, size = int(sys.argv[1]), int(sys.argv[2])
statm = os.open("/proc/self/statm", os.O_RDONLY)


def rss() -> int:
    return int(os.pread(statm, 128, 0).split()[1]) * PAGE


spikes = []
for i in range(count):
    with memtop.stage(f"spike_{i:03d}"):
        time.sleep(0.02)
        before = rss()
        start = time.perf_counter()
        block = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
        ready = time.perf_counter()
        top = rss()
        time.sleep(0.002)
        held = time.perf_counter()
        block.close()
        freed = time.perf_counter()
        time.sleep(0.02)
    spikes.append({"before": before, "top": top, "populate_s": ready - start,
                   "hold_s": held - ready, "free_s": freed - held})
print(json.dumps(spikes), flush=True)
