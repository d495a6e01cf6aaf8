"""A session that allocates 512 MiB, holds it about 2 ms and frees it, between two boundaries.

Run by tests/test_exact_peaks.py through the real engine (as a command session).
"""

import mmap
import time

from memtop.engine.session.stagepoint import EventChannel, StageRecorder

SPIKE = 512 * 1024 * 1024

stages = StageRecorder(EventChannel.from_env(), collect=False)
time.sleep(0.2)
stages.boundary("quiet")
time.sleep(0.05)
start = time.perf_counter()
block = mmap.mmap(-1, SPIKE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
populated = time.perf_counter()
time.sleep(0.002)
block.close()
freed = time.perf_counter()
time.sleep(0.05)
stages.boundary("spike", populate_s=populated - start, held_s=freed - populated)
time.sleep(0.2)
stages.boundary("after")
stages.send({"type": "done"})
