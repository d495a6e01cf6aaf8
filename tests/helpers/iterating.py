"""A small workload with what a parity test needs from a program: blocks, iterations, a marker,
and about two seconds of life, so that a follower sees it while it is written.

Run as `python iterating.py memtop-fake-gpu-workload` (the tag the fake NVML looks for)."""

import time

import memtop

kept = []
with memtop.stage("warm-up"):
    time.sleep(0.4)
for _ in range(4):
    kept.append(bytearray(4 * 1024 * 1024))
    time.sleep(0.2)
    memtop.iteration()
memtop.mark("iterations done")
time.sleep(0.6)
