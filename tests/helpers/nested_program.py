"""A plain program with nested memtop.stage blocks, marks, and 200 repeated steps (tests/
test_stage_views.py runs it under `memtop run`). Known allocations, touched page by page:
`load` keeps 96 MiB; `step` #77 holds 48 MiB for a moment and frees it; `outer/inner` keeps
32 MiB until `outer` ends."""

import memtop

MIB = 2**20


def touched(size: int) -> bytearray:
    block = bytearray(size)
    block[::4096] = b"x" * len(block[::4096])
    return block


with memtop.stage("load"):
    weights = touched(96 * MIB)
memtop.mark("ready")
with memtop.stage("outer"):
    memtop.mark("warm")
    with memtop.stage("inner"):
        scratch = touched(32 * MIB)
    memtop.mark("after_inner")
    del scratch
for i in range(1, 201):
    with memtop.stage("step", index=i):
        if i == 77:
            spike = touched(48 * MIB)
            del spike
memtop.mark("done")
