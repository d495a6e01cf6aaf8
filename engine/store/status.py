"""What a run file's status says when nobody finished it: its engine gone (interrupted), or its
write-ahead log damaged (its last readings lost)."""

from __future__ import annotations

import socket
from typing import Any

from ..probes.procfs import boot_id, is_alive
from .wal import read_wal


def mark_damaged_log(path: str, meta: dict[str, Any]) -> None:
    """SQLite drops a write-ahead log's frames from the first bad checksum on, silently: say it."""
    frames = read_wal(path)
    if frames is not None and frames.lost:
        meta["status"] = "damaged"
        total = frames.usable + frames.lost
        meta["cause"] = (f"damaged run file: {frames.lost} of the last {total} frames of its "
                         "write-ahead log fail their checksum; what they held (the run's last "
                         "readings) is lost")


def mark_interrupted(meta: dict[str, Any]) -> None:
    """A run still marked running whose engine is gone on this machine, or that began before
    this boot, was never finalized: its engine crashed or was killed. Say so. (The session's
    own end does not tell: the engine finalizes a run a moment after its session exits. Files
    from before `engine_pid` was recorded fall back on the session's pid.)"""
    if meta.get("status") != "running" or not meta.get("boot_id"):
        return
    if meta["boot_id"] == boot_id():
        pid = int(meta.get("engine_pid") or meta.get("pid") or 0)
        if meta.get("engine_host") != socket.gethostname() or not pid or is_alive(pid):
            return  # still going (or another machine's, or not yet started: unknown)
    meta["status"] = "interrupted"
    meta["cause"] = "the engine stopped before finishing this run (crash or kill)"
