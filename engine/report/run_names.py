"""What runs are called when tables put them side by side (comparison, where memory went):
enough to tell them apart and no more."""

from __future__ import annotations

from collections.abc import Sequence

from ..spec import node_label
from ..store import Run


def _variant(run: Run) -> str:
    """What sets a run apart from its backend's others in one table: batch size, training."""
    spec = run.spec
    parts = []
    if spec.get("batch_size", 1) != 1:
        parts.append(f"b{spec['batch_size']}")
    if spec.get("mode") == "training":
        parts.append("train")
    if spec.get("dtype", "float32") != "float32":
        parts.append(spec["dtype"])
    return (" " + " ".join(parts)) if parts else ""


def row_names(runs: Sequence[Run]) -> list[str]:
    """Each run's name in tables of runs side by side: backend and variant, its model where
    models differ, its node where a cluster ran it (a program's run: its id)."""
    with_model = len({run.meta.get("model") for run in runs}) > 1
    names = []
    for run in runs:
        if not run.meta.get("backend"):
            names.append(run.run_id)
            continue
        name = f"{run.meta['backend']}{_variant(run)}"
        if with_model:
            name += f" {run.meta.get('model', '?')}"
        node = node_label(run.meta)
        names.append(name + (f" @{node}" if node else ""))
    return names
