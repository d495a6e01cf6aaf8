"""How the engine's threads wake its main loop for what cannot wait, so that the loop need not
turn often to find it (issue #29: each wake-up costs a VM's system calls).

Readings can wait for the loop's next turn; a program's output (written through to a terminal),
its events, the sampler's end (the program exited) cannot. A thread that hands the loop such a
thing appends it to the run's `Inbox` with `urgent`, which writes one byte to the loop's pipe
unless a byte is there already: a program printing thousands of lines a second costs a write
per loop turn, not per line.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable
from typing import Any


class Waker:
    """A pipe the loop polls (`fileno`); `wake` from any thread, `clear` in the loop before it
    takes what the threads handed it (what is handed after the clear wakes it again)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._armed = False  # a byte is in the pipe: another wake need not write

    def fileno(self) -> int:
        return self._read

    def wake(self) -> None:
        if self._armed:
            return
        self._armed = True
        with contextlib.suppress(BlockingIOError, OSError):  # full (it is awake) or closed
            os.write(self._write, b"!")

    def clear(self) -> None:
        # The pipe emptied first: a wake between the two then finds it armed and writes
        # nothing, and what it woke for is taken by this turn. Disarmed first, a byte written
        # between the two would be read here while the waker stayed armed: no wake would
        # write again.
        with contextlib.suppress(BlockingIOError, OSError):
            os.read(self._read, 4096)
        self._armed = False

    def close(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)


class Inbox(deque):
    """A live run's inbox (readings.py's tuples): `append` for what can wait for the loop's
    next turn, `urgent` for what wakes it."""

    def __init__(self, wake: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.wake = wake or _nothing

    def urgent(self, item: Any) -> None:
        self.append(item)
        self.wake()


def _nothing() -> None:
    pass
