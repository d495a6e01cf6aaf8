"""glibc holding freed memory, or a real leak, in memtop.iteration() steps inside one stage.

argv[1] "retain": each iteration mallocs a working set 10 MiB larger than the last (16 KiB
chunks) and frees all of it but its last chunk: the working set outgrows what malloc holds free,
so that chunk comes from the top of the heap, and the free space below it cannot go back to the
kernel without malloc_trim: RSS grows ~10 MiB an iteration while memory in use does not. (A
small survivor malloc'd after the set is not enough: glibc may carve it from a free remainder
lower down, and then the freed set is at the top and goes back.) "leak": each iteration
mallocs 10 MiB and keeps it. Through libc directly: Python's own allocator would hide the
pattern."""

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
        if sys.argv[1] == "retain":
            survivors.append(chunks.pop())
            for chunk in chunks:
                libc.free(chunk)
        else:
            kept.extend(chunks)
        memtop.iteration()
memtop.mark("after")
