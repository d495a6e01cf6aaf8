"""Runs compared stage by stage (not by clock), against a baseline run: for the compare screen
and `memtop diff A B [C ...]`. Two runs are the case of N with the first as the baseline."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from ..spec import node_label
from .summary import stage_rows, table_rows

METRICS = ("rss_mb", "peak_mb", "swap_mb", "duration_s",  # per stage, per run
           "anon_change_mb", "file_change_mb")


def _delta(base: Any, value: Any) -> float | None:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (base, value))
    return value - base if numeric else None


def compare_stages(runs: Sequence[Sequence[dict[str, Any]]],
                   baseline: int = 0) -> list[dict[str, Any]]:
    """A row per stage (a rank's stages by rank: "rank 1 · hold"), in the first run's order,
    then any stage only a later run has: each run's RSS at the stage's end, peak, swap and
    duration (lists in run order; None where a run lacks the stage), and each run minus the
    baseline run (`d_*`: None for the baseline itself and where either lacks the figure)."""
    by_name = [{r["name"]: r for r in stage_rows(list(stages))} for stages in runs]
    out = []
    names = dict.fromkeys(r["name"] for stages in runs for r in table_rows(list(stages)))
    for name in names:
        row: dict[str, Any] = {"name": name}
        for key in METRICS:
            values = [rows.get(name, {}).get(key) for rows in by_name]
            row[key] = values
            row[f"d_{key}"] = [None if i == baseline else _delta(values[baseline], v)
                               for i, v in enumerate(values)]
        out.append(row)
    return out


def compare_summary(summaries: Sequence[dict[str, Any]],
                    baseline: int = 0) -> list[dict[str, Any]]:
    """A row per summary figure: each run's value and its difference from the baseline's."""
    out = []
    for key in dict.fromkeys(k for summary in summaries for k in summary):
        values = [s.get(key) for s in summaries]
        out.append({"key": key, "values": values,
                    "deltas": [None if i == baseline else _delta(values[baseline], v)
                               for i, v in enumerate(values)]})
    return out


def stage_axis(times: Sequence[float], stages: Sequence[dict[str, Any]],
               start: float) -> list[float]:
    """Maps times onto stage units, so that runs line up at every stage start whatever their
    durations: stage k (1-based) spans [k-1, k]; the time after the last boundary (to the last
    time given) spans one more unit. Never decreasing; from 0 to at most len(stages) + 1."""
    bounds = [start] + [s["t"] for s in stages]
    end = times[-1] if times else bounds[-1]
    out = []
    for t in times:
        k = bisect.bisect_right(bounds, t) - 1
        if k < 0:
            out.append(0.0)
        elif k >= len(bounds) - 1:
            tail = end - bounds[-1]
            out.append(len(bounds) - 1 + (min(t - bounds[-1], tail) / tail if tail > 0 else 0.0))
        else:
            span = bounds[k + 1] - bounds[k]
            out.append(k + ((t - bounds[k]) / span if span > 0 else 0.0))
    return out


SETTING_KEYS = ("backend", "model", "weights", "dtype", "mode", "batch_size", "device",
                "isolate", "max_length", "leak_iterations")


def run_settings(meta: dict[str, Any]) -> dict[str, Any]:
    """What a run was asked to do and under which allocator settings: flat, for comparing."""
    spec = meta.get("spec") or {}
    settings = {key: spec.get(key, meta.get(key)) for key in SETTING_KEYS}
    settings["weights"] = meta.get("weights", settings["weights"])
    settings["node"] = node_label(meta) or None  # where a cluster ran it: H100 node vs A100
    for key, value in sorted((meta.get("allocator_settings") or {}).items()):
        settings[f"env {key}"] = value
    for key, value in sorted((spec.get("env") or {}).items()):
        settings[f"env {key}"] = value
    return settings


def compare_settings(metas: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The settings that differ among runs (the seeds' "with fix / without"): each run's."""
    settings = [run_settings(meta) for meta in metas]
    keys = dict.fromkeys(k for one in settings for k in one)
    return [{"key": k, "values": [one.get(k) for one in settings]} for k in keys
            if len({repr(one.get(k)) for one in settings}) > 1]
