"""A fit as a run file holds it (`meta.fit`, written by engine/fit_plan.py), read back keeping
only what memtop writes: a crafted file is data to show or check, never a crash."""

from __future__ import annotations

from typing import Any


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def checked_fit(fit: Any) -> dict[str, Any]:
    """A fit as read from a run file, keeping only what memtop writes: a crafted file is data
    to show, never a crash."""
    if not isinstance(fit, dict):
        return {"results": []}
    results = []
    for r in _list(fit.get("results")):
        if not isinstance(r, dict):
            continue
        found = r.get("line") if isinstance(r.get("line"), dict) else {}
        numbers = {k: _number(found.get(k)) for k in ("fixed_mib", "per_unit_mib")}
        line = None if None in numbers.values() else \
            {**numbers, "worst_miss_mib": _number(found.get("worst_miss_mib")) or 0.0}
        largest = r.get("largest")
        results.append({
            "backend": str(r.get("backend", "?")), "line": line,
            "largest": largest if isinstance(largest, int) and largest > 0 else None,
            "peak_mib": _number(r.get("peak_mib")),
            "trials": [t for t in _list(r.get("trials")) if isinstance(t, dict)],
            "stopped": r.get("stopped") if isinstance(r.get("stopped"), str) else None})
    return {"axis": str(fit.get("axis", "batch")), "budget": int(_number(fit.get("budget")) or 0),
            "predict": [int(p) for p in _list(fit.get("predict")) if _number(p)],
            "max_size": _number(fit.get("max_size")), "results": results}
