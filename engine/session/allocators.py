"""Framework allocators: the settings in effect, GPU checks, and each framework's own memory
figures at stage boundaries (with the peak reset per stage where the framework allows).

The traps (docs/metrics.md): JAX preallocates 75% of a GPU by default and TensorFlow grabs all of
it, so NVML shows the pool, not the use; these figures show the use.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..errors import UserError

# Environment settings that change how much memory a framework takes (recorded when set).
SETTINGS = ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION",
            "XLA_PYTHON_CLIENT_ALLOCATOR", "TF_FORCE_GPU_ALLOW_GROWTH", "TF_GPU_ALLOCATOR",
            "PYTORCH_CUDA_ALLOC_CONF", "PYTORCH_NO_CUDA_MEMORY_CACHING", "CUDA_VISIBLE_DEVICES",
            "JAX_PLATFORMS", "OMP_NUM_THREADS", "MALLOC_ARENA_MAX", "TF_ENABLE_ONEDNN_OPTS",
            "OV_CPU_THREADS_NUM")


def allocator_settings(backend: str, device: str) -> dict[str, Any]:
    settings: dict[str, Any] = {k: os.environ[k] for k in SETTINGS if k in os.environ}
    if backend == "tensorflow" and device == "gpu":
        try:
            import tensorflow as tf

            settings["tf_memory_growth"] = [
                tf.config.experimental.get_memory_growth(d)
                for d in tf.config.list_physical_devices("GPU")]
        except Exception as exc:  # a settings query must never end a run
            settings["tf_memory_growth"] = f"unknown ({type(exc).__name__})"
    return settings


def require_gpu(backend: str) -> str:
    """The GPU the backend sees, or a UserError: --device gpu without one is bad input."""
    name = None
    try:
        if backend == "torch":
            import torch

            name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        elif backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            name = gpus[0].name if gpus else None
        elif backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            name = str(gpus[0]) if gpus else None
        elif backend == "openvino":
            import openvino

            gpus = [d for d in openvino.Core().available_devices if d.startswith("GPU")]
            name = gpus[0] if gpus else None
    except Exception:
        name = None
    if name is None:
        raise UserError(f"--device gpu: no GPU is visible to {backend} here")
    return name


# No backend has allocator counters worth reading on CPU; each run says why, at every stage.
# (TensorFlow's get_memory_info("CPU:0") exists, but reads 0 through whole Keras runs here:
# its counting allocator is not the one the kernels use.)
NO_CPU_COUNTERS = {
    "tensorflow": "TensorFlow's CPU counters miss its kernels' tensors (0 for a Keras model)",
    "torch": "PyTorch keeps no allocator counters on CPU",
    "jax": "JAX's CPU client reports no memory statistics",
    "openvino": "OpenVINO's CPU plugin reports no memory statistics"}


def cpu_allocator_probe(backend: str) -> Callable[[], dict[str, Any] | None]:
    """At every stage boundary on CPU: why the framework's allocator has no figures ("n/a"),
    so that a run file says it rather than leaving a blank."""
    said = {"n/a": NO_CPU_COUNTERS.get(backend, "no allocator counters"), "device": "cpu"}
    return lambda: dict(said)


def allocator_probe(backend: str) -> Callable[[], dict[str, Any] | None]:
    """A function read at every stage boundary: the framework's GPU memory in use and its
    peak since the previous boundary (reset after reading where the framework allows)."""

    def torch_probe() -> dict[str, Any] | None:
        import torch

        figures = {"in_use": torch.cuda.memory_allocated(),
                   "peak": torch.cuda.max_memory_allocated(),
                   "reserved": torch.cuda.memory_reserved(), "peak_reset": True}
        torch.cuda.reset_peak_memory_stats()
        return figures

    def tensorflow_probe() -> dict[str, Any] | None:
        import tensorflow as tf

        info = tf.config.experimental.get_memory_info("GPU:0")
        tf.config.experimental.reset_memory_stats("GPU:0")
        return {"in_use": info["current"], "peak": info["peak"], "peak_reset": True}

    def jax_probe() -> dict[str, Any] | None:
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        if not stats:
            return None
        # JAX cannot reset its peak: it is the peak since the process started.
        return {"in_use": stats.get("bytes_in_use"), "peak": stats.get("peak_bytes_in_use"),
                "pool": stats.get("pool_bytes") or stats.get("bytes_limit"), "peak_reset": False}

    def openvino_probe() -> dict[str, Any] | None:
        import openvino

        stats = openvino.Core().get_property("GPU", "GPU_MEMORY_STATISTICS")
        return {"in_use": sum(int(v) for v in dict(stats).values()), "by_kind": dict(stats),
                "peak_reset": False}

    probes = {"torch": torch_probe, "tensorflow": tensorflow_probe, "jax": jax_probe,
              "openvino": openvino_probe}
    probe = probes[backend]

    def safe() -> dict[str, Any] | None:
        try:
            return probe()
        except Exception as exc:  # a figure the framework cannot give is n/a, not an error
            return {"error": f"{type(exc).__name__}: {exc}"[:200]}

    return safe
