"""Two memtop.stage blocks whose memory is of a known kind: `load_weights` maps a 200 MiB file
(a "weights" file, written before the block) and reads every page of it; `allocate` fills a
300 MiB anonymous block. argv[1]: the folder for the file."""

import mmap
import sys
from pathlib import Path

import memtop

MIB = 1024 * 1024
PAGE = mmap.PAGESIZE
weights = Path(sys.argv[1]) / "weights.bin"
weights.write_bytes(b"\x01" * (200 * MIB))

with memtop.stage("load_weights"), weights.open("rb") as f:
    mapped = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    total = sum(mapped[i] for i in range(0, len(mapped), PAGE))  # every page resident

with memtop.stage("allocate"):
    heap = bytearray(b"\x02" * (300 * MIB))

print(total, len(heap))
