"""glibc holding freed memory, or a real leak, in memtop.iteration() steps inside one stage.

argv[1] "retain": each iteration mallocs a working set 10 MiB larger than the last (16 KiB
chunks), then one small survivor above it at the top of the heap, then frees the working set:
the free space below the survivor cannot go back to the kernel without malloc_trim, so RSS grows
~10 MiB an iteration while memory in use does not. "leak": each iteration mallocs 10 MiB and
keeps it. Through libc directly: Python's own allocator would hide the pattern."""

import ctypes
import sys

import memtop

MIB = 1024 * 1024
CHUNK = 16 * 1024
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]

survivors, kept = [], []
with memtop.stage("work"):
    for i in range(1, 9):
        size = (i if sys.argv[1] == "retain" else 1) * 10 * MIB
        chunks = [libc.malloc(CHUNK) for _ in range(size // CHUNK)]
        for chunk in chunks:
            libc.memset(chunk, 1, CHUNK)  # resident
        survivors.append(libc.malloc(64))
        if sys.argv[1] == "retain":
            for chunk in chunks:
                libc.free(chunk)
        else:
            kept.extend(chunks)
        memtop.iteration()
memtop.mark("after")
