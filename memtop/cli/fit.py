"""`memtop fit`: for each backend, the largest batch (or sequence length) whose run stays within a
memory budget. Every trial is a real session and a run file (engine/sizing/search.py picks the
sizes); each runs in a memory cgroup limited to the budget where the kernel allows it (an OOM
kill: does not fit), else it is judged by its exact kernel peak. The result is a run file of kind
`fit` that `show` prints again."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from memtop.engine.errors import UserError
from memtop.engine.text import shown
from memtop.engine.units import MIB, parse_size

from .output import console

if TYPE_CHECKING:
    from memtop.engine.client import FitSource

MIN_BUDGET = 64 * MIB  # the interpreter alone, before any framework is imported

INTERRUPTED = 130  # run_headless after ctrl-c


def _say(text: str) -> None:
    console().print(shown(text), markup=False, highlight=False)  # may hold a session's words


def _run_headless(plan: Any) -> FitSource:
    """The trials with a progress line each and their verdicts, one engine running them."""
    from memtop.cli.headless import run_headless
    from memtop.engine.client import STOPPED, FitSource

    source = FitSource(plan)
    if run_headless(source, [], tables=False, stop_on_user_error=False) == INTERRUPTED:
        plan.give_up(STOPPED)
    return source


def _run_live(args: argparse.Namespace, plan: Any) -> tuple[int, Any]:
    """The dashboard: each trial's card, and a card per backend whose trials stack as bars of
    their peaks against the budget."""
    from memtop.cli.live import run_app, tui_app_class
    from memtop.engine.client import STOPPED, FitSource

    tui_app_class()  # before any session starts
    source = FitSource(plan)
    code = run_app(args, start="dashboard", source=source)
    if not plan.finished:  # quit before the end: what was found is kept
        plan.give_up(STOPPED)
    return code, source


def request_of(args: argparse.Namespace) -> Any:
    from memtop.cli.live import model_backends
    from memtop.engine.client import FitRequest

    backends = model_backends(args)
    budget = parse_size(args.budget)
    if budget < MIN_BUDGET:  # a trial would be killed before its Python had started
        raise UserError(f"--budget {args.budget.strip()}: below what any Python process needs "
                        f"({MIN_BUDGET // MIB} MiB); write e.g. 8GiB")
    predict = tuple(parse_size(p) for p in args.predict.split(",")) if args.predict else ()
    return FitRequest(model=args.model, backends=tuple(backends), budget=budget, axis=args.axis,
                      mode=args.mode, predict=predict, max_size=args.max_size,
                      weights=args.weights, dtype=args.dtype, task=args.task,
                      max_length=args.max_length, sequence_length=args.sequence_length,
                      isolate=args.isolate, runs_dir=args.runs_dir, label=args.label)


def cmd_fit(args: argparse.Namespace) -> int:
    from memtop.engine.client import FitPlan
    from memtop.engine.report.sizing import sizing_table
    from memtop.engine.store import prepare_runs_dir

    request = request_of(args)
    prepare_runs_dir(args.runs_dir)
    plan = FitPlan(request)
    if not args.no_tui and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("memtop: no terminal here: running without the TUI (--no-tui)", file=sys.stderr)
        args.no_tui = True
    if args.no_tui:
        code, source = 0, _run_headless(plan)
    else:
        code, source = _run_live(args, plan)
    path = (source and source.fit_path) or plan.store()
    results = plan.results()
    console().print(sizing_table(results, request.axis, request.budget, request.predict,
                                 request.max_size))
    _say(f"fit: {path}")
    return code or (0 if all(r["largest"] for r in results) else 1)
