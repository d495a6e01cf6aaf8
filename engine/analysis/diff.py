"""Runs compared stage by stage (not by clock), against a baseline run: for the compare screen
and `memtop diff A B [C ...]`. Two runs are the case of N with the first as the baseline."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from ..spec import node_label
from .stage_fold import fold_rows
from .stage_rows import table_rows

METRICS = ("rss_mb", "peak_mb", "swap_mb", "duration_s",  # per stage, per run
           "anon_change_mb", "file_change_mb")


def _delta(base: Any, value: Any) -> float | None:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (base, value))
    return value - base if numeric else None


def compare_stages(runs: Sequence[Sequence[dict[str, Any]]], baseline: int = 0,
                   fold: bool = False) -> list[dict[str, Any]]:
    """A row per stage, matched across runs by its place in the tree (`key`: path and
    occurrence, `fit/epoch#2/evaluate`; a rank's stages by rank: "rank 1 · hold"), in the tree's
    order, a stage only a later run has after its predecessor there: each run's RSS at the
    stage's end, peak, swap and duration (lists in run order; None where a run lacks the
    stage), and each run minus the baseline run (`d_*`: None for the baseline itself and where
    either lacks the figure). With `fold`, repeated stages are one row per path (stage_fold.py),
    each run's worst occurrence compared, with `count` per run."""
    tables = [table_rows(list(stages)) for stages in runs]
    if fold:
        tables = [fold_rows(rows) for rows in tables]
    by_key = [{r["key"]: r for r in rows} for rows in tables]
    out = []
    for key in _merged_order([[r["key"] for r in rows] for rows in tables]):
        first = next(rows[key] for rows in by_key if key in rows)
        row: dict[str, Any] = {"name": first["name"], "key": key, "depth": first["depth"],
                               "count": [rows[key].get("count", 1) if key in rows else None
                                         for rows in by_key],
                               "worst": [rows[key].get("worst") if key in rows else None
                                         for rows in by_key]}
        for metric in METRICS:
            values = [rows.get(key, {}).get(metric) for rows in by_key]
            row[metric] = values
            row[f"d_{metric}"] = [None if i == baseline else _delta(values[baseline], v)
                                  for i, v in enumerate(values)]
        out.append(row)
    return out


def _merged_order(orders: list[list[str]]) -> list[str]:
    """Every key once: the first run's order, and each key only a later run has right after
    the key before it in that run."""
    first = list(dict.fromkeys(orders[0])) if orders else []
    seen = set(first)
    after: dict[str | None, list[str]] = {}  # keys a later run adds, by the key they follow
    for order in orders[1:]:
        previous = None
        for key in order:
            if key not in seen:
                seen.add(key)
                after.setdefault(previous, []).append(key)
            previous = key
    out: list[str] = []
    stack = list(reversed([*after.pop(None, []), *first]))
    while stack:
        key = stack.pop()
        out.append(key)
        stack.extend(reversed(after.pop(key, [])))
    return out


def compare_summary(summaries: Sequence[dict[str, Any]],
                    baseline: int = 0) -> list[dict[str, Any]]:
    """A row per summary figure some run has (a program's run has none of the protocol's):
    each run's value and its difference from the baseline's."""
    out = []
    for key in dict.fromkeys(k for summary in summaries for k in summary):
        values = [s.get(key) for s in summaries]
        if all(value is None for value in values):
            continue
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


def setting_text(value: Any) -> str:
    """A setting as a comparison shows it: one a run did not have is `unset`, never `None`."""
    return "unset" if value is None else str(value)


def compare_settings(metas: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The settings that differ among runs (the seeds' "with fix / without"): each run's."""
    settings = [run_settings(meta) for meta in metas]
    keys = dict.fromkeys(k for one in settings for k in one)
    return [{"key": k, "values": [one.get(k) for one in settings]} for k in keys
            if len({repr(one.get(k)) for one in settings}) > 1]
