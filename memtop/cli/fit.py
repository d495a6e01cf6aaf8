"""`memtop fit`: for each backend, the largest batch (or sequence length) whose run stays within a
memory budget. Every trial is a real session and a run file (engine/sizing/search.py picks the
sizes); each runs in a memory cgroup limited to the budget where the kernel allows it (an OOM
kill: does not fit), else it is judged by its exact kernel peak. The result is a run file of kind
`fit` that `show` prints again."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

from memtop.engine.errors import UserError
from memtop.engine.text import shown
from memtop.engine.units import MIB, fmt, parse_size

from .output import console

# What a failed trial says when memory ran out inside the framework (not an OOM kill).
OUT_OF_MEMORY = ("MemoryError", "RESOURCE_EXHAUSTED", "out of memory", "bad_alloc",
                 "Cannot allocate memory", "OOM")


@dataclass
class Trial:
    size: int
    fits: bool
    peak_mib: float | None
    verdict: str  # "fits", "does not fit (OOM)", "does not fit (peak 3,120 MiB)", ...
    run_id: str
    limit: str | None  # the cgroup limit it ran under ("cgroup v1 memory limit"), if any


def judge(run: Any, size: int, budget: int) -> tuple[Trial, str | None]:
    """A trial's verdict from its run file; and a reason to stop the search when the run failed
    for something other than memory (a model the backend cannot run)."""
    meta, summary = run.meta, run.summary()
    peak = summary.get("peak_mb")
    limit = (meta.get("memory_limit") or {}).get("method")
    status, cause = meta.get("status"), str(meta.get("cause") or "")

    def trial(fits: bool, verdict: str) -> Trial:
        return Trial(size, fits, peak, verdict, run.run_id, limit)

    if status == "killed" and "OOM" in cause:
        return trial(False, "does not fit (OOM)"), None
    if status == "done":
        if peak is not None and peak * MIB <= budget:
            return trial(True, "fits"), None
        return trial(False, f"does not fit (peak {fmt(peak, ',.0f')} MiB)"), None
    if any(word in cause for word in OUT_OF_MEMORY):
        return trial(False, "does not fit (out of memory)"), None
    return trial(False, f"{status}: {cause}"), cause or str(status)


def _trial_spec(args: argparse.Namespace, backend: str, size: int, budget: int) -> Any:
    from memtop.engine.spec import RunSpec

    sizes = {"batch_size": size} if args.axis == "batch" else \
        {"sequence_length": size, "max_length": size}
    return RunSpec(backend=backend, model=args.model, weights=args.weights, dtype=args.dtype,
                   task=args.task, mode=args.mode, isolate=args.isolate, runs_dir=args.runs_dir,
                   label=args.label or f"fit {args.axis} {size}", max_length=args.max_length,
                   sequence_length=args.sequence_length, memory_limit=budget, **sizes)


def _search(args: argparse.Namespace, backend: str, budget: int) -> dict[str, Any]:
    """Trials on one backend until its largest size is known (or a run fails for another
    reason than memory: then that reason, and the search of this backend ends)."""
    from memtop.cli.headless import run_headless
    from memtop.engine.sizing.line import fit_line
    from memtop.engine.sizing.search import SizeSearch
    from memtop.engine.store import read_run

    search, trials, stopped = SizeSearch(largest=args.max_size), [], None
    while (size := search.next_size()) is not None:
        paths: list[str] = []
        run_headless([_trial_spec(args, backend, size, budget)], paths=paths, tables=False)
        if not paths:
            stopped = "the trial did not start"
            break
        trial, stopped = judge(read_run(paths[0]), size, budget)
        trials.append(trial)
        console().print(shown(f"{backend} {args.axis} {size}: {trial.verdict}"), markup=False,
                        highlight=False)  # a verdict may hold the session's own words
        if stopped:
            break
        search.record(size, trial.fits)
    ran = [(t.size, t.peak_mib) for t in trials if t.peak_mib is not None and
           (t.fits or t.verdict.startswith("does not fit (peak"))]
    line = fit_line(ran)
    best = search.best
    return {"backend": backend, "largest": best, "stopped": stopped,
            "peak_mib": next((t.peak_mib for t in trials if t.size == best), None),
            "line": asdict(line) if line else None, "trials": [asdict(t) for t in trials]}


def _store(args: argparse.Namespace, results: list[dict[str, Any]], budget: int,
           predict: list[int], started: float) -> str:
    """The fit as a run file of kind `fit`: what was asked, each backend's answer, its trials."""
    from memtop.engine.store import SUFFIX, RunWriter, new_run_id

    run_id = new_run_id("fit", args.model)
    path = os.path.join(args.runs_dir, run_id + SUFFIX)
    fit = {"axis": args.axis, "mode": args.mode, "budget": budget, "predict": predict,
           "max_size": args.max_size, "results": results}
    meta = {"run_id": run_id, "kind": "fit", "model": args.model, "weights": args.weights,
            "backend": ",".join(r["backend"] for r in results), "label": args.label,
            "status": "done", "cause": "completed", "started_wall": started,
            "ended_wall": time.time(), "fit": fit}
    writer = RunWriter(path, meta)
    writer.finish(meta, (time.monotonic(), "end", "info", "fit done", None))
    return path


def cmd_fit(args: argparse.Namespace) -> int:
    from memtop.cli.live import model_backends
    from memtop.engine.report.sizing import sizing_table
    from memtop.engine.store import prepare_runs_dir

    backends = model_backends(args)
    budget = parse_size(args.budget)
    if budget <= 0:
        raise UserError("--budget must be a size above 0, like 8GiB")
    predict = [parse_size(p) for p in args.predict.split(",")] if args.predict else []
    prepare_runs_dir(args.runs_dir)
    started = time.time()
    results = [_search(args, backend, budget) for backend in backends]
    path = _store(args, results, budget, predict, started)
    out = console()
    out.print(sizing_table(results, args.axis, budget, predict, args.max_size))
    out.print(shown(f"fit: {path}"), markup=False, highlight=False)
    return 0 if all(r["largest"] for r in results) else 1
