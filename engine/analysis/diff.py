"""Two runs compared stage by stage (not by clock), for the diff screen and reports."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from .summary import stage_rows


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def stage_names(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> list[str]:
    """A's stage order, then any stage only B has."""
    names = [s["name"] for s in a]
    names += [s["name"] for s in b if s["name"] not in names]
    return names


def diff_stages(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A row per stage: A, B and B - A for RSS, peak and duration (None where a side lacks it)."""
    rows_a = {r["name"]: r for r in stage_rows(list(a))}
    rows_b = {r["name"]: r for r in stage_rows(list(b))}
    out = []
    for name in stage_names(a, b):
        ra, rb = rows_a.get(name, {}), rows_b.get(name, {})
        row: dict[str, Any] = {"name": name}
        for key in ("rss_mb", "peak_mb", "swap_mb", "duration_s"):
            row[f"a_{key}"], row[f"b_{key}"] = ra.get(key), rb.get(key)
            row[f"d_{key}"] = _delta(ra.get(key), rb.get(key))
        out.append(row)
    return out


def diff_summary(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in a.keys() | b.keys():
        va, vb = a.get(key), b.get(key)
        numeric = all(isinstance(v, int | float) or v is None for v in (va, vb))
        out.append({"key": key, "a": va, "b": vb, "d": _delta(va, vb) if numeric else None})
    order = list(a) + [k for k in b if k not in a]
    return sorted(out, key=lambda r: order.index(r["key"]))


def stage_axis(times: Sequence[float], stages: Sequence[dict[str, Any]],
               start: float) -> list[float]:
    """Maps times onto stage units: stage k (1-based) spans [k-1, k], so that two runs line up
    at every stage start whatever their durations. Times after the last boundary run on in the
    last stage's scale."""
    bounds = [start] + [s["t"] for s in stages]
    out = []
    for t in times:
        k = bisect.bisect_right(bounds, t) - 1
        if k < 0:
            out.append(0.0)
        elif k >= len(bounds) - 1:
            span = (bounds[-1] - bounds[-2]) if len(bounds) > 1 else 1.0
            out.append(len(bounds) - 1 + (t - bounds[-1]) / (span or 1.0))
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
    for key, value in sorted((meta.get("allocator_settings") or {}).items()):
        settings[f"env {key}"] = value
    for key, value in sorted((spec.get("env") or {}).items()):
        settings[f"env {key}"] = value
    return settings


def diff_settings(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """The settings that differ between two runs' metadata (the seeds' "with fix / without")."""
    sa, sb = run_settings(a), run_settings(b)
    keys = list(sa) + [k for k in sb if k not in sa]
    return [{"key": k, "a": sa.get(k), "b": sb.get(k)} for k in keys if sa.get(k) != sb.get(k)]
