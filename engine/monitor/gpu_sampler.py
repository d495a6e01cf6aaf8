"""A thread in the engine that reads NVML about ten times a second for a session's process tree.

Where there is no GPU it is never started (see probes.nvml.open_nvml); if NVML goes away (a
driver reset) the GPU figures stop and the run goes on.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from ..probes.nvml import NvmlReader, open_nvml
from .readings import GpuReading
from .sampler import microsecond_after

GPU_EVERY_S = 0.1


class GpuSampler(threading.Thread):
    """Reads NVML about ten times a second for the session's process tree."""

    def __init__(self, reader: NvmlReader, pids: Callable[[], frozenset[int]], out: deque) -> None:
        super().__init__(name="gpu-sampler", daemon=True)
        self.reader, self.pids, self.out = reader, pids, out
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        try:
            while not self._halt.is_set():
                reading = self.reader.read(set(self.pids()))
                self.out.append(GpuReading(microsecond_after(reading.t), reading.used,
                                           reading.device_used, reading.device_total))
                self._halt.wait(GPU_EVERY_S)
        except Exception:
            return  # NVML went away (driver reset): GPU figures stop, the run goes on
        finally:
            self.reader.close()


def start_gpu_sampler(pids: Callable[[], frozenset[int]],
                      out: deque) -> tuple[GpuSampler | None, list[str] | None]:
    """(the running sampler, the devices' names); (None, None) where there is no NVML or GPU."""
    reader = open_nvml()
    if reader is None:
        return None, None
    sampler = GpuSampler(reader, pids, out)
    sampler.start()
    return sampler, reader.names
