"""A session that misbehaves on purpose: argv[1] says how.

It first allocates 64 MiB and marks a stage, so there is something recorded before the end.
  ok        marks `last_words` and exits normally
  sigkill   kills itself with SIGKILL
  segfault  reads address 0 (SIGSEGV)
  raise     raises ValueError("boom on purpose")
  oom       moves into the cgroup named in argv[2], then allocates until the OOM killer acts
  swap      moves into the cgroup in argv[2] (a small limit, swap allowed), allocates 300 MiB,
            marks `swap_crossed` with the time its own VmSwap first passed 100 MiB, and holds
"""

import ctypes
import os
import signal
import sys
import time

import memtop

MIB = 1024 * 1024
how = sys.argv[1]
kept = [bytearray(64 * MIB)]
kept[0][::4096] = b"x" * len(kept[0][::4096])
memtop.mark("allocated")
time.sleep(0.3)


def own_swap() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSwap:"):
                return int(line.split()[1]) * 1024
    return 0


if how in ("oom", "swap"):
    with open(os.path.join(sys.argv[2], "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(0.2)  # memtop notices a move into another cgroup within 50 ms

if how == "ok":
    memtop.mark("last_words")
elif how == "sigkill":
    memtop.mark("last_words")
    os.kill(os.getpid(), signal.SIGKILL)
elif how == "segfault":
    memtop.mark("last_words")
    ctypes.string_at(0)
elif how == "raise":
    memtop.mark("last_words")
    raise ValueError("boom on purpose")
elif how == "oom":
    while True:
        block = bytearray(32 * MIB)
        block[::4096] = b"x" * len(block[::4096])
        kept.append(block)
elif how == "swap":
    crossed = None
    for _ in range(30):
        block = bytearray(10 * MIB)
        block[::4096] = b"x" * len(block[::4096])
        kept.append(block)
        if crossed is None and own_swap() > 100 * MIB:
            crossed = time.monotonic()
    while crossed is None:
        time.sleep(0.01)
        if own_swap() > 100 * MIB:
            crossed = time.monotonic()
    memtop.mark("swap_crossed", crossed_at=crossed)
    time.sleep(1.5)
