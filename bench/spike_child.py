"""N spikes of SIZE bytes, each allocated (and touched) in one go, held about 2 ms and freed, each
inside its own memtop.stage block. Prints the populate and hold times as one JSON line."""

import json
import mmap
import sys
import time

import memtop

count, size = int(sys.argv[1]), int(sys.argv[2])
populate, hold = [], []
for i in range(count):
    with memtop.stage(f"spike_{i:03d}"):
        time.sleep(0.02)
        start = time.perf_counter()
        block = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
        ready = time.perf_counter()
        time.sleep(0.002)
        block.close()
        freed = time.perf_counter()
        time.sleep(0.02)
    populate.append(ready - start)
    hold.append(freed - ready)
print(json.dumps({"populate_s": populate, "hold_s": hold}), flush=True)
