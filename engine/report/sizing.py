"""The table of `memtop fit`: each backend's largest batch (or sequence length) within the
budget, its peak, the line fitted to its trials, and what that line predicts for other
budgets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sizing.line import MemoryLine
from ..sizing.record import checked_fit
from ..units import MIB, fmt, format_size
from .fitted_table import Column, FittedTable
from .tables import add_row


def _predicted(line: dict[str, Any] | None, budget: int) -> str:
    largest = MemoryLine(**line).largest_within(budget / MIB) if line else None
    return "-" if largest is None else f"{largest:,}"


def judged_by(trials: Sequence[dict[str, Any]]) -> str:
    """Each trial is judged by its exact kernel peak; under a cgroup limit, also by the kernel's
    OOM killer, which acts later than the peak says (shared pages already in memory are not
    charged to the trial's cgroup)."""
    limits = {t.get("limit") for t in trials} - {None}
    if not limits:
        return "exact kernel peak"
    killed = any("(OOM)" in str(t.get("verdict")) for t in trials)
    return f"peak{', OOM kill' if killed else ''} ({', '.join(sorted(map(str, limits)))})"


def sizing_table(results: Sequence[dict[str, Any]], axis: str, budget: int,
                 predict: Sequence[int], max_size: int | None = None) -> FittedTable:
    unit = "sample" if axis == "batch" else "token"
    columns = [Column("Backend"), Column(f"Largest {axis}", "right"),
               Column("Peak MiB", "right"), Column("Fixed MiB", "right", drop=2),
               Column(f"MiB per {unit}", "right", drop=2),
               *(Column(f"≤ {format_size(b)}", "right", drop=1) for b in predict),
               Column("Judged by", whole=False, drop=3), Column("Note", whole=False)]
    table = FittedTable(columns, title=f"memtop fit: largest {axis} within {format_size(budget)}")
    for result in results:
        line = result.get("line")
        trials = result.get("trials") or []
        method = judged_by(trials) if trials else "-"
        largest = result.get("largest")
        note = result.get("stopped") or ("not even 1 fits" if largest is None else
                                         "the largest tried" if largest == max_size else "")
        add_row(table, result["backend"], fmt(largest, ",d") if largest else "-",
                fmt(result.get("peak_mib"), ",.0f"),
                fmt(line["fixed_mib"], ",.0f") if line else "-",
                fmt(line["per_unit_mib"], ",.1f") if line else "-",
                *(_predicted(line, b) for b in predict), method, note or "-")
    return table


def fit_diff_table(fits: Sequence[tuple[str, dict[str, Any]]]) -> FittedTable:
    """Fits side by side (run id, the fit of its run file): per backend, each one's largest size
    and its peak."""
    fits = [(run_id, checked_fit(fit)) for run_id, fit in fits]
    columns = [Column("Backend")]
    for run_id, fit in fits:
        columns.append(Column(f"{run_id} ({fit['axis']} ≤ {format_size(fit['budget'])})", "right"))
    table = FittedTable(columns, title="memtop fit, side by side")
    backends = list(dict.fromkeys(r["backend"] for _, fit in fits for r in fit["results"]))
    for backend in backends:
        cells = []
        for _, fit in fits:
            found = next((r for r in fit["results"] if r["backend"] == backend), None)
            largest = found.get("largest") if found else None
            cells.append("-" if not largest else
                         f"{largest:,} ({fmt(found.get('peak_mib'), ',.0f')} MiB)")
        add_row(table, backend, *cells)
    return table


def fit_run_table(fit: dict[str, Any]) -> FittedTable:
    """The table again, from a run file of kind `fit`."""
    fit = checked_fit(fit)
    return sizing_table(fit["results"], fit["axis"], fit["budget"], fit["predict"],
                        fit["max_size"])
