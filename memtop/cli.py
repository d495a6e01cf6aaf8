"""The `memtop` command line. Bad input: one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

from memtop import __version__
from memtop.output import console

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise SystemExit(_fail(f"{self.prog}: {message}"))


def _fail(message: str) -> int:
    print(f"memtop: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: '{text}'") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: '{text}'") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="memtop", description="Memory monitor for ML model runs.")
    parser.add_argument("--version", action="version", version=f"memtop {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    bench = commands.add_parser("bench", help="run the cross-backend benchmark")
    bench.add_argument("--backend", help="comma-separated: tensorflow,torch,jax,openvino "
                                          "(default: every installed backend)")
    bench.add_argument("--model", default="gpt2_medium_en",
                       help="keras-hub preset name or local preset directory")
    bench.add_argument("--weights", choices=("auto", "preset", "random"), default="auto",
                       help="auto: the real preset when it loads, else random weights")
    bench.add_argument("--prompt", default="Hello")
    bench.add_argument("--second-prompt", default="Test")
    bench.add_argument("--max-length", type=_positive_int, default=10)
    bench.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32")
    bench.add_argument("--isolate", action="store_true",
                       help="keep other ML frameworks out of each session")
    bench.add_argument("--interval-ms", type=_positive_float, default=5.0,
                       help="RSS sampling interval in milliseconds (default 5)")
    bench.add_argument("--parallel", type=_positive_int, default=1,
                       help="sessions at once (default 1: timings stay honest)")
    bench.add_argument("--runs-dir", default="runs")
    bench.add_argument("--label", default="", help="a note stored with each run")
    bench.add_argument("--no-tui", action="store_true", help="print progress and a table")

    show = commands.add_parser("show", help="print a run's stage table and summary")
    show.add_argument("run", nargs="+", help="a run file, a run id, or 'latest'")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.add_argument("--runs-dir", default="runs")

    ls = commands.add_parser("ls", help="list recorded runs, newest first")
    ls.add_argument("--runs-dir", default="runs")
    return parser


def cmd_show(args: argparse.Namespace) -> int:
    from memtop.engine.report import run_json, stage_table, summary_table
    from memtop.engine.store import read_run, resolve_run

    runs = [read_run(resolve_run(ref, args.runs_dir)) for ref in args.run]
    if args.format == "json":
        data = [run_json(r) for r in runs]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
        return 0
    out = console()
    for run in runs:
        out.print(stage_table(run))
        out.print(summary_table(run))
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    from memtop.engine.errors import UserError
    from memtop.engine.report import runs_list_table
    from memtop.engine.store import list_run_files, read_run

    runs, broken = [], []
    for path in list_run_files(args.runs_dir):
        try:
            runs.append(read_run(path))
        except UserError as exc:
            broken.append((path, str(exc).split(": ", 1)[-1]))
    if not runs and not broken:
        print(f"no runs in {args.runs_dir}")
        return 0
    console().print(runs_list_table(runs, broken))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from memtop.engine.backends import parse_backends
    from memtop.engine.models import check_model_argument
    from memtop.engine.runspec import RunSpec
    from memtop.headless import run_bench_headless

    backends = parse_backends(args.backend)
    check_model_argument(args.model, args.weights)
    specs = [RunSpec(backend=b, model=args.model, weights=args.weights, prompt=args.prompt,
                     second_prompt=args.second_prompt, max_length=args.max_length,
                     dtype=args.dtype, isolate=args.isolate, interval_ms=args.interval_ms,
                     runs_dir=args.runs_dir, label=args.label)
             for b in backends]
    if not args.no_tui:
        print("memtop: the live TUI is not built yet: running headless (--no-tui)",
              file=sys.stderr)
    return run_bench_headless(specs, parallel=args.parallel)


COMMANDS = {"bench": cmd_bench, "show": cmd_show, "ls": cmd_ls}


def main(argv: Sequence[str] | None = None) -> int:
    from memtop.engine.errors import UserError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return COMMANDS[args.command](args)
    except UserError as exc:
        return _fail(str(exc))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `memtop show … | head`
        return 0
