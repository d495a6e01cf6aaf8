"""Facts about a session's environment, gathered inside the session after its imports."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import socket
import sys
from typing import Any

from ..backends import FRAMEWORKS
from ..probes.procfs import cpu_model, read_meminfo

# Frameworks worth noticing when a session imports them without being their backend.
WATCHED = ("tensorflow", "torch", "jax", "openvino")
_DISTRIBUTIONS = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax",
                  "openvino": "openvino", "keras": "keras", "keras_hub": "keras-hub"}


def foreign_frameworks(backend: str) -> list[str]:
    """ML frameworks imported into this process other than the backend's own."""
    own = FRAMEWORKS[backend]
    return [name for name in WATCHED if name != own and sys.modules.get(name) is not None]


def version_of(module: str) -> str | None:
    try:
        return importlib.metadata.version(_DISTRIBUTIONS.get(module, module))
    except importlib.metadata.PackageNotFoundError:
        return None


def devices(backend: str) -> list[str]:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return [d.name for d in tf.config.list_logical_devices()]
        if backend == "torch":
            import torch

            names = ["cpu"]
            if torch.cuda.is_available():
                names += [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            return names
        if backend == "jax":
            import jax

            return [str(d) for d in jax.devices()]
        if backend == "openvino":
            import openvino

            return list(openvino.Core().available_devices)
    except Exception as exc:  # a device query must never end a run
        return [f"unknown ({type(exc).__name__})"]
    return []


def session_metadata(backend: str) -> dict[str, Any]:
    return {
        "backend": backend,
        "versions": {name: version_of(name) for name in ("keras", "keras_hub",
                                                          FRAMEWORKS[backend])},
        "devices": devices(backend),
        "python": platform.python_version(),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "mem_total": read_meminfo().get("MemTotal", 0),
        "pid": os.getpid(),
    }
