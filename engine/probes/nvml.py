"""GPU memory from NVML (nvidia-ml-py): the session's processes' own use and the device totals.

Where there is no NVML library or no GPU, `open_nvml()` returns None and everything GPU reads
as n/a: nothing raises. The NVML module is passed in, so tests can give recorded answers.
Remember the trap (docs/metrics.md): JAX preallocates 75% of a GPU and TensorFlow all of it, so
a process's NVML figure is its pool; the frameworks' own allocator figures (allocators.py) show
the use.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GpuReading:
    t: float
    used: int  # bytes the session's processes hold, over all devices
    device_used: int  # bytes in use on the devices, by anyone
    device_total: int


class NvmlReader:
    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        nvml.nvmlInit()
        self.handles = [nvml.nvmlDeviceGetHandleByIndex(i)
                        for i in range(nvml.nvmlDeviceGetCount())]
        self.names = [_text(nvml.nvmlDeviceGetName(h)) for h in self.handles]

    def read(self, pids: set[int]) -> GpuReading:
        used = device_used = device_total = 0
        for handle in self.handles:
            info = self.nvml.nvmlDeviceGetMemoryInfo(handle)
            device_used += int(info.used)
            device_total += int(info.total)
            for proc in self._processes(handle):
                if proc.pid in pids and proc.usedGpuMemory is not None:
                    used += int(proc.usedGpuMemory)
        return GpuReading(time.monotonic(), used, device_used, device_total)

    def _processes(self, handle: Any) -> list[Any]:
        found = []
        for query in ("nvmlDeviceGetComputeRunningProcesses",
                      "nvmlDeviceGetGraphicsRunningProcesses"):
            function = getattr(self.nvml, query, None)
            if function is not None:
                try:
                    found.extend(function(handle))
                except Exception:  # not supported on this device: not an error
                    continue
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.nvml.nvmlShutdown()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def open_nvml(nvml: Any = None) -> NvmlReader | None:
    """A reader on the real NVML (or the module given), or None where there is none."""
    try:
        if nvml is None:
            import pynvml as nvml  # nvidia-ml-py
        reader = NvmlReader(nvml)
    except Exception:
        return None
    return reader if reader.handles else None
