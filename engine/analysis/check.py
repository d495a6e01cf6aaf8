"""`memtop check`: a run against memory budgets, for CI. Every breach is listed, not just the
first; the caller exits 0 when there is none and 1 otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import UserError
from ..units import MIB, format_size
from .stage_rows import stage_peak, stage_rows


class RunRecord(Protocol):
    """What a check reads of a run (store.reader.Run is one)."""

    meta: dict[str, Any]
    stages: list[dict[str, Any]]

    @property
    def run_id(self) -> str: ...

    def summary(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Budgets:
    max_peak: int | None = None  # bytes
    max_stage_peak: tuple[tuple[str, int], ...] = ()
    max_swap: int | None = None
    max_leak: int | None = None  # bytes per iteration
    baseline: RunRecord | None = None
    max_regression: float | None = None  # 0.05 = 5%
    min_fit: int | None = None  # a fit's largest size, on every backend (check_fit.py)


@dataclass(frozen=True)
class Breach:
    budget: str
    limit: str
    actual: str


def _size(mb: float | None) -> str:
    return "-" if mb is None else format_size(mb * MIB)


def check_run(run: RunRecord, budgets: Budgets) -> tuple[list[Breach], list[str]]:
    """(breaches, what was checked)."""
    if budgets.min_fit is not None:
        raise UserError(f"--min-fit checks a fit (memtop fit): {run.run_id} is a "
                        f"{run.meta.get('kind') or 'bench'} run")
    if budgets.baseline is not None and budgets.baseline.meta.get("kind") == "fit":
        raise UserError(f"{budgets.baseline.run_id} is a fit: a fit compares with a fit")
    summary = run.summary()
    breaches: list[Breach] = []
    checked: list[str] = []
    peak = summary.get("peak_mb")
    if budgets.max_peak is not None:
        checked.append("peak")
        if peak is None or peak * MIB > budgets.max_peak:
            breaches.append(Breach("peak", format_size(budgets.max_peak), _size(peak)))
    rows = stage_rows(run.stages)
    for name, limit in budgets.max_stage_peak:
        matched = [(row, stage) for row, stage in zip(rows, run.stages, strict=True)
                   if name in (stage["name"], row["path"], row["key"])]
        if not matched:
            known = ", ".join(dict.fromkeys(row["path"] for row in rows)) or "none"
            raise UserError(f"no stage '{name}' in {run.run_id} (its stages: {known})")
        # Every occurrence is checked; a breach names the one that broke it.
        checked.append(f"{name} peak" if len(matched) == 1
                       else f"{name} peak (all {len(matched)} occurrences)")
        for row, stage in matched:
            value = stage_peak(stage)
            if value is None or value > limit:
                breaches.append(Breach(f"{row['key']} peak", format_size(limit),
                                       _size(None if value is None else value / MIB)))
    if budgets.max_swap is not None:
        checked.append("swap")
        swap = summary.get("swap_peak_mb") or 0.0
        if swap * MIB > budgets.max_swap:
            breaches.append(Breach("swap", format_size(budgets.max_swap), _size(swap)))
    if budgets.max_leak is not None:
        leak = run.meta.get("leak") or {}
        slope = leak.get("slope_mb_per_iter")
        if slope is None:
            raise UserError(f"{run.run_id} has no leak measurement: record it with "
                            "memtop bench --leak-iterations N")
        checked.append("leak")
        if slope * MIB > budgets.max_leak:
            breaches.append(Breach("leak per iteration", format_size(budgets.max_leak),
                                   _size(slope)))
    if budgets.baseline is not None:
        breaches += _regressions(run, budgets.baseline, budgets.max_regression or 0.0, checked)
    return breaches, checked


def _regressions(run: RunRecord, baseline: RunRecord, allowed: float,
                 checked: list[str]) -> list[Breach]:
    """The run's peak and the peak of each stage both runs have, against the baseline's:
    stages are matched by their place in the tree (`fit/epoch#2/evaluate`), so every
    occurrence of a repeated stage is checked against the same occurrence."""
    found = []
    pairs: list[tuple[str, Any, Any]] = [
        ("peak", run.summary().get("peak_mb"), baseline.summary().get("peak_mb"))]
    base_rows = {row["key"]: row for row in stage_rows(baseline.stages)}
    for row in stage_rows(run.stages):
        if row["key"] in base_rows:
            pairs.append((f"{row['key']} peak", row["peak_mb"],
                          base_rows[row["key"]]["peak_mb"]))
    compared = [(what, value, base) for what, value, base in pairs
                if value is not None and base is not None and base > 0]
    for what, value, base in compared:
        change = value / base - 1
        if change > allowed:
            found.append(Breach(f"{what} vs baseline", f"+{allowed:.1%} of {_size(base)}",
                                f"{_size(value)} ({change:+.1%})"))
    # A long training run compares thousands of stages: counted, not listed.
    said = ["peak"] if compared and compared[0][0] == "peak" else []
    stages = len(compared) - len(said)
    said += [f"{stages} stage peaks"] if stages else []
    if said:
        checked.append(" and ".join(said) + " vs baseline")
    return found
