"""Grows by 50 MiB steps for about 2 s, then exits with the status given in argv[1]."""

import sys
import time

kept = []
for _ in range(8):
    block = bytearray(50 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])
    kept.append(block)
    time.sleep(0.25)
sys.exit(int(sys.argv[1]))
