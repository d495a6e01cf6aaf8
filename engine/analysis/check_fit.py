"""`memtop check` of a fit (a run of kind `fit`, from `memtop fit`): every backend's largest size
at least `--min-fit`, and not smaller than a baseline fit's by more than `--max-regression`. A
CI gate for "batch 32 must still fit in 16 GiB"."""

from __future__ import annotations

from ..errors import UserError
from ..sizing.record import checked_fit
from .check import Breach, Budgets, RunRecord

PEAK_BUDGETS = ("max_peak", "max_stage_peak", "max_swap", "max_leak")


def is_fit(run: RunRecord) -> bool:
    return run.meta.get("kind") == "fit"


def _largest(run: RunRecord) -> tuple[str, dict[str, int | None]]:
    fit = checked_fit(run.meta.get("fit"))
    return fit["axis"], {r["backend"]: r["largest"] for r in fit["results"]}


def check_fit(run: RunRecord, budgets: Budgets) -> tuple[list[Breach], list[str]]:
    """(breaches, what was checked), as `check_run`; a budget that means nothing for a fit is
    a UserError that says what does."""
    if any(getattr(budgets, name) for name in PEAK_BUDGETS):
        raise UserError(f"{run.run_id} is a fit: check it with --min-fit N, or --baseline FIT "
                        "--max-regression PCT")
    axis, largest = _largest(run)
    breaches: list[Breach] = []
    checked: list[str] = []
    if budgets.min_fit is not None:
        for backend, size in largest.items():
            checked.append(f"{backend} largest {axis}")
            if size is None or size < budgets.min_fit:
                breaches.append(Breach(f"{backend} largest {axis}", f"≥ {budgets.min_fit:,}",
                                       "none fits" if size is None else f"{size:,}"))
    if budgets.baseline is not None:
        if not is_fit(budgets.baseline):
            raise UserError(f"a fit compares with a fit: {budgets.baseline.run_id} is not one")
        allowed = budgets.max_regression or 0.0
        for backend, base in _largest(budgets.baseline)[1].items():
            if not base:
                continue
            checked.append(f"{backend} largest {axis} vs baseline")
            size = largest.get(backend)
            if size is None or size < base * (1 - allowed):
                actual = "not in this fit" if backend not in largest else \
                    "none fits" if size is None else f"{size:,} ({size / base - 1:+.1%})"
                breaches.append(Breach(f"{backend} largest {axis} vs baseline",
                                       f"-{allowed:.1%} of {base:,}", actual))
    return breaches, checked
