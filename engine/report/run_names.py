"""What runs are called when tables put them side by side (the comparison, printed or live on
the dashboard; where memory went): enough to tell them apart and no more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..spec import node_label


def _variant(spec: Mapping[str, Any]) -> str:
    """What sets a run apart from its backend's others in one table: batch size, training."""
    parts = []
    if spec.get("batch_size", 1) != 1:
        parts.append(f"b{spec['batch_size']}")
    if spec.get("mode") == "training":
        parts.append("train")
    if spec.get("dtype", "float32") != "float32":
        parts.append(spec["dtype"])
    return (" " + " ".join(parts)) if parts else ""


def row_names(metas: Sequence[Mapping[str, Any]], others: Sequence[str]) -> list[str]:
    """Each run's name from its metadata (a run file's, or a live run's once started): backend
    and variant, its model where models differ, its node where a cluster ran it; `others` name
    the runs without a backend (a program's run, a run not started yet)."""
    models = {meta.get("model") for meta in metas if meta.get("backend")}
    names = []
    for meta, other in zip(metas, others, strict=True):
        if not meta.get("backend"):
            names.append(other)
            continue
        name = f"{meta['backend']}{_variant(meta.get('spec') or {})}"
        if len(models) > 1:
            name += f" {meta.get('model', '?')}"
        node = node_label(meta)
        names.append(name + (f" @{node}" if node else ""))
    return names
