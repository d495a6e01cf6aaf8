"""The Keras backends memtop knows, and whether each is installed (found without importing it)."""

from __future__ import annotations

import importlib.util

from .errors import UserError

# backend name -> the import name of its framework
FRAMEWORKS = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax", "openvino": "openvino"}
BACKENDS = tuple(FRAMEWORKS)


def is_installed(backend: str) -> bool:
    needed = (FRAMEWORKS[backend], "keras", "keras_hub")
    return all(importlib.util.find_spec(name) is not None for name in needed)


def installed_backends() -> list[str]:
    return [b for b in BACKENDS if is_installed(b)]


def parse_backends(text: str | None) -> list[str]:
    """'torch,jax' -> ['torch', 'jax']; None -> every installed backend."""
    if text is None:
        found = installed_backends()
        if not found:
            raise UserError("no Keras backend is installed: pip install 'memtop[all]'")
        return found
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UserError("--backend needs at least one of: " + ", ".join(BACKENDS))
    for name in names:
        if name not in FRAMEWORKS:
            raise UserError(f"unknown backend '{name}': choose from {', '.join(BACKENDS)}")
        if not is_installed(name):
            raise UserError(f"backend '{name}' is not installed: pip install 'memtop[{name}]'")
    return names
