"""Leaks 2 MiB per iteration on purpose, marking each with memtop.iteration()."""

import memtop

kept = []
for _ in range(12):
    block = bytearray(2 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])
    kept.append(block)
    memtop.iteration()
