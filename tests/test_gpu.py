"""GPU figures without a GPU: NVML and framework allocators answered by recordings (named as such:
this machine and CI have no GPU). And the real no-GPU path: everything GPU is n/a, --device gpu
is a clear error."""

import time
from collections import deque
from types import SimpleNamespace

import pytest

from memtop.engine.monitor.gpu_sampler import GpuSampler
from memtop.engine.monitor.readings import GpuReading
from memtop.engine.probes.nvml import open_nvml
from memtop.engine.session import allocators

from conftest import MIB, needs_backend, run_memtop


class RecordedNvml:
    """Answers recorded from nvidia-ml-py on a one-GPU machine (an H100, 80 GiB) while a JAX
    session (pid 4242) held its preallocated pool and another user's process (pid 999) ran."""

    def __init__(self) -> None:
        self.calls = 0
        self.shut_down = False

    def nvmlInit(self) -> None:
        pass

    def nvmlShutdown(self) -> None:
        self.shut_down = True

    def nvmlDeviceGetCount(self) -> int:
        return 1

    def nvmlDeviceGetHandleByIndex(self, index: int) -> str:
        return f"handle-{index}"

    def nvmlDeviceGetName(self, handle: str) -> bytes:
        return b"NVIDIA H100 80GB HBM3"

    def nvmlDeviceGetMemoryInfo(self, handle: str) -> SimpleNamespace:
        self.calls += 1
        return SimpleNamespace(total=81559 * MIB, used=62000 * MIB, free=19559 * MIB)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: str) -> list[SimpleNamespace]:
        return [SimpleNamespace(pid=4242, usedGpuMemory=61170 * MIB),
                SimpleNamespace(pid=999, usedGpuMemory=800 * MIB)]

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: str) -> list[SimpleNamespace]:
        raise RuntimeError("NVML_ERROR_NOT_SUPPORTED")  # as on data-centre GPUs


def test_nvml_reader_counts_only_the_sessions_processes():
    reader = open_nvml(RecordedNvml())
    assert reader is not None and reader.names == ["NVIDIA H100 80GB HBM3"]
    reading = reader.read({4242, 4243})
    assert reading.used == 61170 * MIB
    assert reading.device_used == 62000 * MIB and reading.device_total == 81559 * MIB
    assert reader.read({1}).used == 0


def test_gpu_sampler_feeds_readings_and_shuts_nvml_down():
    nvml = RecordedNvml()
    out: deque = deque()
    sampler = GpuSampler(open_nvml(nvml), lambda: {4242}, out)
    sampler.start()
    time.sleep(0.35)
    sampler.stop()
    sampler.join(2)
    assert len(out) >= 3 and all(isinstance(reading, GpuReading) and reading.used == 61170 * MIB
                                 for reading in out)
    assert nvml.shut_down


def test_no_nvml_here_means_not_available():
    class Broken:
        def nvmlInit(self) -> None:
            raise OSError("NVML Shared Library Not Found")

    assert open_nvml(Broken()) is None
    assert open_nvml() is None  # this machine: no NVML library or no GPU


def test_torch_allocator_figures_with_the_peak_reset_per_stage(monkeypatch):
    """torch.cuda answered by a recording: 1.5 GiB allocated, 2 GiB peak, 3 GiB reserved."""
    torch = pytest.importorskip("torch")
    resets = []
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda: 1536 * MIB)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda: 2048 * MIB)
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda: 3072 * MIB)
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda: resets.append(1))
    figures = allocators.allocator_probe("torch")()
    assert figures == {"in_use": 1536 * MIB, "peak": 2048 * MIB, "reserved": 3072 * MIB,
                       "peak_reset": True}
    assert resets == [1]


def test_jax_allocator_figures_from_memory_stats(monkeypatch):
    """jax.Device.memory_stats() answered by a recording of a preallocating GPU session."""
    jax = pytest.importorskip("jax")
    device = SimpleNamespace(memory_stats=lambda: {"bytes_in_use": 900 * MIB,
                                                    "peak_bytes_in_use": 1200 * MIB,
                                                    "bytes_limit": 61170 * MIB})
    monkeypatch.setattr(jax, "devices", lambda *a: [device])
    figures = allocators.allocator_probe("jax")()
    assert figures["in_use"] == 900 * MIB and figures["peak"] == 1200 * MIB
    assert figures["pool"] == 61170 * MIB and figures["peak_reset"] is False


def test_a_framework_that_cannot_answer_gives_an_error_entry_not_an_exception():
    probe = allocators.allocator_probe("tensorflow")  # no GPU:0 here
    assert "error" in probe()


@needs_backend("torch")
@pytest.mark.backend
def test_device_gpu_without_a_gpu_is_one_clear_line(runs_dir):
    result = run_memtop("bench", "--backend", "torch", "--model", "gpt2_tiny", "--device", "gpu",
                        "--no-tui", "--runs-dir", str(runs_dir))
    assert result.returncode == 2
    assert result.stderr.strip() == "memtop: error: --device gpu: no GPU is visible to torch here"
