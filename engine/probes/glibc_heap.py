"""glibc's allocator, seen from inside the measured process: how much of its heap is in use and
how much it holds free (freed by the program, kept by malloc: RSS that is not live data), and
`malloc_trim(0)`, which gives free pages back. `mallinfo2` (glibc 2.33+) sums every arena; it
walks the free lists, so it is read at stage cuts, never on the sampling path. Elsewhere (musl,
macOS, an older glibc) there is nothing to read and these return None.

Memory from allocators that map their own (Python's small-object arenas, some frameworks' pools)
is not malloc's: it is in RSS but in neither figure."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


@cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


def heap_state() -> dict[str, int] | None:
    """{heap_in_use, heap_free}: bytes malloc has handed out (its arenas' chunks in use and its
    own mmapped chunks), and bytes it holds free in its arenas; None without glibc's mallinfo2."""
    libc = _libc()
    if libc is None:
        return None
    info = libc.mallinfo2()
    return {"heap_in_use": info.uordblks + info.hblkhd, "heap_free": info.fordblks}


def trim() -> bool:
    """`malloc_trim(0)`: free pages back to the kernel, from every arena. False if there is no
    such function here."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
