"""What runs are called when tables put them side by side (the comparison, printed or live on
the dashboard; where memory went): enough to tell them apart and no more."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from ..spec import command_text, is_program, node_label


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


def run_title_of(meta: Mapping[str, Any]) -> str:
    """What a run is: a program's command (`python train.py --epochs 3`), else its backend,
    model and weights."""
    if is_program(meta):
        return command_text(meta)
    parts = [str(meta.get("backend") or "?"), str(meta.get("model") or "?")]
    if meta.get("weights"):
        parts.append(f"{meta['weights']} weights")
    if meta.get("label"):
        parts.append(str(meta["label"]))
    return " · ".join(parts)


def run_labels(metas: Sequence[Mapping[str, Any]], run_ids: Sequence[str]) -> list[str]:
    """Each run as side-by-side views name it: its title, its id and when it started, so that
    two runs of one script are told apart."""
    labels = []
    for meta, run_id in zip(metas, run_ids, strict=True):
        started = meta.get("started_wall")
        when = datetime.datetime.fromtimestamp(started).strftime(" · started %Y-%m-%d %H:%M:%S") \
            if isinstance(started, int | float) else ""
        labels.append(f"{run_title_of(meta)} · {run_id}{when}")
    return labels
