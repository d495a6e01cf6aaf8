"""The commands that read run files and print: show, ls, diff --format, export, check."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence

from memtop.engine.errors import UserError
from memtop.engine.store import Run, read_run, resolve_run
from memtop.engine.text import safe_filename, shown

from .output import console
from .written import OutputFile

PLAIN_FROM_ROWS = 500  # `ls` of more runs than this prints plain columns (10,000: well < 1 s)

EXIT_BREACH = 1


def _runs(refs: list[str], runs_dir: str) -> list[Run]:
    return [read_run(resolve_run(ref, runs_dir)) for ref in refs]


def _write(text: str | Iterable[str], path: str | None, named: bool = True,
           reading: Sequence[str] = ()) -> str:
    """Text out, whole or a piece at a time; control characters from run files are made
    visible on every way out. To a file (`path`): whole or not at all (written.py), never over
    a run in `reading`; what to add to "wrote PATH" (the link it went through)."""
    chunks = [text if text.endswith("\n") else text + "\n"] if isinstance(text, str) else text
    output = None if path in (None, "-") else OutputFile(path, named, reading)
    try:
        with output if output is not None else contextlib.nullcontext(sys.stdout) as out:
            for chunk in chunks:
                out.write(shown(chunk, len(chunk) + 1, lines=True))
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise UserError(f"cannot write {shown(path)}: {exc.strerror}") from None
    return output.note if output is not None else ""


def _show_allocations(runs: list, format: str) -> int:
    from memtop.engine.report.allocations import allocations_json, allocations_table

    if format == "json":
        _write(json.dumps([{"run_id": run.run_id, "allocations": allocations_json(run)}
                           for run in runs], indent=2), None)
    elif format != "table":
        raise UserError("show --allocations prints a table or JSON (--format json)")
    else:
        for run in runs:
            console().print(allocations_table(run))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from memtop.engine.report import formats
    from memtop.engine.report.groups import (
        groups_table,
        heap_table,
        process_stages_table,
        processes_table,
    )
    from memtop.engine.report.sizing import fit_run_table
    from memtop.engine.report.tables import (
        leak_table,
        repeated_table,
        stage_table,
        statistics_table,
        summary_table,
    )

    runs = _runs(args.run, args.runs_dir)
    if args.allocations:
        return _show_allocations(runs, args.format)
    if args.log:
        _write(_log_chunks(runs), None)
    elif args.format == "json":
        _write(json.dumps(formats.show_json(runs), indent=2), None)
    elif args.format == "markdown":
        _write(formats.show_markdown(runs, unfold=args.unfold), None)
    elif args.format == "csv":
        _write(formats.show_csv(runs), None)
    else:
        out = console()
        for run in runs:
            if run.meta.get("kind") == "fit":
                out.print(fit_run_table(run.meta.get("fit") or {}))
                continue
            out.print(stage_table(run, unfold=args.unfold))
            for table in (repeated_table(run), processes_table(run), process_stages_table(run),
                          groups_table(run, args.unfold), heap_table(run, args.unfold)):
                if table is not None:
                    out.print(table)
            out.print(summary_table(run))
            if run.meta.get("leak"):
                out.print(leak_table(run.meta["leak"]))
            if args.stats:
                out.print(statistics_table(run))
    return 0


def _log_chunks(runs: list[Run]) -> Iterator[str]:
    """Each run's kept output in order (shown as data: a file's escapes never act)."""
    for run in runs:
        if len(runs) > 1:
            yield f"==> {run.run_id} <==\n"
        if not run.has_table("output"):
            yield f"(no output kept: {run.run_id} was recorded before memtop kept output)\n"
        for _, _, _, data in run.output_after(0):
            yield data.decode("utf-8", "replace")
        if run.meta.get("output_cut"):
            yield "\n[memtop: the output was cut here: --max-output keeps more]\n"


def cmd_ls(args: argparse.Namespace) -> int:
    from memtop.engine.report.tables import runs_list_table
    from memtop.engine.store import list_run_files, listed_runs

    paths = list_run_files(args.runs_dir)
    if not paths:
        print(f"no run files in {shown(os.path.abspath(args.runs_dir))} (another folder: "
              "--runs-dir DIR)")
        return 0
    table = runs_list_table(listed_runs(args.runs_dir, paths))
    out = console()
    if len(table.rows) <= PLAIN_FROM_ROWS:
        out.print(table)
    else:  # Rich lays out a table at about 0.4 ms a row: long lists go out as plain columns
        for line in table.plain_lines(out.width):
            out.file.write(line + "\n")
    return 0


def print_diff(args: argparse.Namespace, paths: list[str]) -> int:
    from memtop.engine.report import formats
    from memtop.engine.report.diff_tables import diff_heading, diff_tables
    from memtop.engine.report.groups import where_table

    runs = [read_run(p) for p in paths]
    if args.format == "json":
        _write(json.dumps(formats.diff_json(runs), indent=2), None)
    elif args.format == "markdown":
        _write(formats.diff_markdown(runs, unfold=args.unfold), None)
    elif args.format == "csv":
        _write(formats.diff_csv(runs), None)
    else:
        out = console()
        out.print(diff_heading(runs, unfold=args.unfold))
        for table in diff_tables(runs, unfold=args.unfold):
            out.print(table)
        if (where := where_table(runs)) is not None:  # where each run's memory went
            out.print(where)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from memtop.engine.report.perfetto import coarse_export, samples_csv_chunks, trace_chunks

    run = read_run(resolve_run(args.run, args.runs_dir))
    if args.format == "perfetto":
        coarse = coarse_export(run, args.resolution)
        text = trace_chunks(run, coarse)
        default = f"{safe_filename(run.run_id)}.trace.json"  # here, never a path from the file
    else:
        coarse = args.resolution == "1s"
        text = samples_csv_chunks(run, coarse)
        default = f"{safe_filename(run.run_id)}.samples.csv"
    output = args.output or default
    note = _write(text, output, named=args.output is not None, reading=[run.path])
    if output != "-":
        kept = "each second's peaks (--resolution raw: every reading)" if coarse else \
            "every reading"
        print(f"wrote {shown(output)}{note}: {kept}", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from rich.text import Text

    from memtop.engine.analysis.check import Budgets, check_run
    from memtop.engine.analysis.check_fit import check_fit, is_fit
    from memtop.engine.report.fitted_table import Column, FittedTable
    from memtop.engine.report.run_names import run_labels
    from memtop.engine.report.tables import add_row, plain
    from memtop.engine.units import parse_percent, parse_rate, parse_size

    stage_budgets = []
    for item in args.max_stage_peak or []:
        name, sep, size = item.partition("=")
        if not sep or not name:
            raise UserError(f"--max-stage-peak takes STAGE=SIZE, not '{item}'")
        stage_budgets.append((name, parse_size(size)))
    if args.max_regression is not None and args.baseline is None:
        raise UserError("--max-regression needs --baseline RUN")
    if args.baseline is not None and args.max_regression is None:
        raise UserError("--baseline needs --max-regression (e.g. 5%)")
    budgets = Budgets(
        max_peak=None if args.max_peak is None else parse_size(args.max_peak),
        max_stage_peak=tuple(stage_budgets),
        max_swap=None if args.max_swap is None else parse_size(args.max_swap),
        max_leak=None if args.max_leak is None else parse_rate(args.max_leak),
        baseline=None if args.baseline is None else read_run(resolve_run(args.baseline,
                                                                          args.runs_dir)),
        max_regression=None if args.max_regression is None
        else parse_percent(args.max_regression), min_fit=args.min_fit)
    if budgets == Budgets():
        raise UserError("memtop check needs a budget: --max-peak, --max-stage-peak, "
                        "--max-swap, --max-leak, --min-fit or --baseline with --max-regression")
    run = read_run(resolve_run(args.run, args.runs_dir))
    breaches, checked = (check_fit if is_fit(run) else check_run)(run, budgets)
    out = console()
    if budgets.baseline is not None and not is_fit(run):  # each by title, id and start
        labels = run_labels([run.meta, budgets.baseline.meta],
                            [run.run_id, budgets.baseline.run_id])
        out.print(plain(f"run:      {labels[0]}"))
        out.print(plain(f"baseline: {labels[1]}"))
    status = str(run.meta.get("status") or "running")
    if status not in ("done", "detached"):  # within budget so far: say how far that is
        out.print(plain(f"partial run ({status}: {run.meta.get('cause') or 'no end recorded'}):"
                        " its figures cover only what ran", "yellow"))
    if not breaches:
        out.print(Text.assemble(("within budget", "green"),
                                plain(f": {run.run_id} ({', '.join(checked)})")))
        return 0
    out.print(plain(run.run_id))  # whole, on its own line: a title would wrap it
    table = FittedTable([Column("Budget"), Column("Limit", "right"), Column("Actual", "right")],
                        title=plain(f"{len(breaches)} over budget"))
    for breach in breaches:
        add_row(table, breach.budget, breach.limit, plain(breach.actual, "red"))
    out.print(table)
    return EXIT_BREACH


def write_json_summary(path: str, run_paths: list[str]) -> None:
    """`memtop bench --json-summary PATH`: every run of the benchmark as `show --format json`."""
    from memtop.engine.report.formats import run_json

    runs = []
    for run_path in run_paths:
        try:
            runs.append(run_json(read_run(run_path)))
        except UserError as exc:
            runs.append({"path": run_path, "error": str(exc)})
    _write(json.dumps({"runs": runs}, indent=2), path, reading=run_paths)
