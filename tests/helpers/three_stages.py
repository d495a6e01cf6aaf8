"""Three memtop.stage blocks that keep 100, 300 and 50 MiB, each with a 64 MiB transient spike
freed before the block ends, then an outer block around two inner ones."""

import time

import memtop

MIB = 1024 * 1024
kept = []


def touch(size: int) -> bytearray:
    block = bytearray(size)
    block[::4096] = b"x" * len(block[::4096])
    return block


for name, mib in (("alloc_100", 100), ("alloc_300", 300), ("alloc_50", 50)):
    with memtop.stage(name):
        spike = touch(64 * MIB)
        del spike
        kept.append(touch(mib * MIB))
        time.sleep(0.05)

with memtop.stage("outer"):
    with memtop.stage("inner_spike"):
        spike = touch(200 * MIB)
        del spike
    with memtop.stage("inner_quiet"):
        time.sleep(0.05)

memtop.mark("end", note="after the blocks")
