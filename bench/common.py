"""Helpers shared by the benchmarks: child processes of a given size, timing, JSON output."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from memtop.engine.units import GIB as GIB  # re-exported: the benchmarks' sizes
from memtop.engine.units import MIB as MIB

HERE = Path(__file__).resolve().parent


def hold_memory(size: int) -> subprocess.Popen:
    """A child that touches `size` bytes, prints 'ready', and holds them until killed."""
    code = ("import sys, time\n"
            f"b = bytearray({size})\n"
            "b[::4096] = b'x' * len(b[::4096])\n"
            "print('ready', flush=True)\n"
            "time.sleep(3600)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def emit(result: dict) -> dict:
    print(json.dumps(result), flush=True)
    return result


def memtop(*args: str, env: dict | None = None,
           timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "memtop", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


def timed(function, repeat: int) -> float:
    """Seconds per call."""
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat
