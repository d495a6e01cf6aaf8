"""A stand-in for nvidia-ml-py (`pynvml`), named as such: this machine and CI have no GPU.

Put this folder first on sys.path and memtop's NVML probe finds one 16 GiB device on which every
process whose command line holds MEMTOP_FAKE_GPU_TAG uses 64 MiB (the parity tests' workloads).
"""

import os
from types import SimpleNamespace

MIB = 1024 * 1024
TAG = os.environ.get("MEMTOP_FAKE_GPU_TAG", "memtop-fake-gpu-workload").encode()


def nvmlInit() -> None:
    pass


def nvmlShutdown() -> None:
    pass


def nvmlDeviceGetCount() -> int:
    return 1


def nvmlDeviceGetHandleByIndex(index: int) -> int:
    return index


def nvmlDeviceGetName(handle: int) -> str:
    return "Fake GPU (tests)"


def _tagged() -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if TAG in f.read():
                        found.append(int(name))
            except OSError:
                continue
    return found


def nvmlDeviceGetMemoryInfo(handle: int) -> SimpleNamespace:
    used = (1024 + 64 * len(_tagged())) * MIB
    return SimpleNamespace(total=16384 * MIB, used=used, free=16384 * MIB - used)


def nvmlDeviceGetComputeRunningProcesses(handle: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(pid=pid, usedGpuMemory=64 * MIB) for pid in _tagged()]
