"""Names the engine's threads as `top -H`, htop and /proc/PID/task/TID/comm show them, so that
what memtop itself costs can be read thread by thread (bench/own_cost.py does)."""

from __future__ import annotations

import contextlib
import ctypes

_PR_SET_NAME = 15


def name_this_thread(name: str) -> None:
    """At most 15 bytes (the kernel's limit); a refusal changes nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)
