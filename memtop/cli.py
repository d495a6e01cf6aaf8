"""The `memtop` command line. Bad input: one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import Any

from memtop import __version__, reports_cli
from memtop.engine.errors import UserError
from memtop.engine.runspec import WEIGHTS

EXIT_USAGE = 2
FORMATS = ("table", "markdown", "json", "csv")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise SystemExit(_fail(f"{self.prog}: {message}"))


def _number(cast: type, minimum: float, strict: bool) -> Callable[[str], Any]:
    """An argparse type: a finite number of `cast` above (strict) or from `minimum`."""
    kind = "whole number" if cast is int else "number"
    bound = "positive" if strict and minimum == 0 else f"at least {minimum:g}"

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {kind}: '{text}'") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {bound}, not {text}")
        return value

    return parse


_positive_float = _number(float, 0, strict=True)
_positive_int = _number(int, 0, strict=True)
_non_negative_int = _number(int, 0, strict=False)


def _fail(message: str) -> int:
    one_line = " ".join(message.split())  # library messages (SQLite's) may hold newlines
    print(f"memtop: error: {one_line}", file=sys.stderr)
    return EXIT_USAGE


def _batch_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        try:
            size = int(part)
        except ValueError:
            raise UserError(f"--batch-size takes whole numbers like 1,8,32, not '{text}'") \
                from None
        if size <= 0:
            raise UserError(f"--batch-size must be positive, not {size}")
        sizes.append(size)
    return list(dict.fromkeys(sizes))


def _env_pairs(items: list[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not key.replace("_", "").isalnum():
            raise UserError(f"--env takes KEY=VALUE, not '{item}'")
        env[key] = value
    return env


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="memtop", description="Memory monitor for ML model runs.")
    parser.add_argument("--version", action="version", version=f"memtop {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    bench = commands.add_parser("bench", help="run the cross-backend benchmark")
    bench.add_argument("--backend", help="comma-separated: tensorflow,torch,jax,openvino "
                                          "(default: every installed backend)")
    bench.add_argument("--model", default="gpt2_medium_en",
                       help="keras-hub preset name or local preset directory")
    bench.add_argument("--weights", choices=WEIGHTS, default="auto",
                       help="auto: the real preset when it loads, else random weights")
    bench.add_argument("--prompt", default="Hello")
    bench.add_argument("--second-prompt", default="Test")
    bench.add_argument("--max-length", type=_positive_int, default=10)
    bench.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32")
    bench.add_argument("--mode", choices=("inference", "training"), default="inference",
                       help="training: a few fit steps on random tokens instead of generate")
    bench.add_argument("--batch-size", default="1", metavar="N[,N…]",
                       help="prompts per call; several sizes run one session each: 1,8,32")
    bench.add_argument("--leak-iterations", type=_non_negative_int, default=0, metavar="N",
                       help="repeat the generation N times after the protocol: leak slope")
    bench.add_argument("--training-steps", type=_positive_int, default=4)
    bench.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    bench.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                       help="set in each session, e.g. XLA_PYTHON_CLIENT_PREALLOCATE=false")
    bench.add_argument("--isolate", action="store_true",
                       help="keep other ML frameworks out of each session")
    bench.add_argument("--interval-ms", type=_positive_float, default=5.0,
                       help="RSS sampling interval in milliseconds (default 5)")
    bench.add_argument("--parallel", type=_positive_int, default=1,
                       help="sessions at once (default 1: timings stay honest)")
    bench.add_argument("--runs-dir", default="runs")
    bench.add_argument("--label", default="", help="a note stored with each run")
    bench.add_argument("--no-tui", action="store_true", help="print progress and a table")
    bench.add_argument("--json-summary", metavar="PATH",
                       help="also write every run's figures as JSON (for pipelines)")

    show = commands.add_parser("show", help="print a run's stage table and summary")
    show.add_argument("run", nargs="+", help="a run file, a run id, or 'latest'")
    show.add_argument("--format", choices=FORMATS, default="table")
    show.add_argument("--stats", action="store_true",
                      help="also RSS mean/max/min/std/median per stage (in JSON always)")
    show.add_argument("--runs-dir", default="runs")

    ls = commands.add_parser("ls", help="list recorded runs, newest first")
    ls.add_argument("--runs-dir", default="runs")

    replay = commands.add_parser("replay", help="play saved runs back in the dashboard")
    replay.add_argument("run", nargs="+", help="run files, run ids, or 'latest'")
    replay.add_argument("--follow", action="store_true",
                        help="follow a run file another memtop is still writing")
    replay.add_argument("--speed", type=_positive_float, default=1.0)
    replay.add_argument("--runs-dir", default="runs")

    diff = commands.add_parser("diff", help="two runs side by side, aligned by stage")
    diff.add_argument("a", help="run A: a run file, a run id, or 'latest'")
    diff.add_argument("b", help="run B")
    diff.add_argument("--format", choices=FORMATS,
                      help="print instead of opening the diff screen")
    diff.add_argument("--runs-dir", default="runs")

    export = commands.add_parser("export", help="a run for other tools: a Perfetto/Chrome "
                                                "trace, or its samples as CSV")
    export.add_argument("run", help="a run file, a run id, or 'latest'")
    export.add_argument("--format", choices=("perfetto", "csv"), default="perfetto")
    export.add_argument("-o", "--output", help="file to write ('-': standard output; default "
                                               "RUN_ID.trace.json or RUN_ID.samples.csv)")
    export.add_argument("--runs-dir", default="runs")

    check = commands.add_parser("check", help="a run against memory budgets: exit 0 within, "
                                              "1 over, 2 bad input")
    check.add_argument("run", help="a run file, a run id, or 'latest'")
    check.add_argument("--max-peak", metavar="SIZE", help="e.g. 4GiB (binary) or 4GB (decimal)")
    check.add_argument("--max-stage-peak", metavar="STAGE=SIZE", action="append",
                       help="e.g. first_inference=3GiB; repeat for more stages")
    check.add_argument("--max-swap", metavar="SIZE", help="e.g. 0")
    check.add_argument("--max-leak", metavar="SIZE/iter", help="e.g. 1MiB/iter")
    check.add_argument("--baseline", metavar="RUN", help="a run to compare peaks with")
    check.add_argument("--max-regression", metavar="PCT", help="e.g. 5%%")
    check.add_argument("--runs-dir", default="runs")

    run = commands.add_parser("run", help="run any command as a session: memtop run -- CMD ARGS…")
    run.add_argument("--name", help="what to call the run (default: the program)")
    attach = commands.add_parser("attach", help="watch a running process and its children")
    attach.add_argument("pid", type=int, help="the process id")
    attach.add_argument("--name", help="what to call the run (default: the process name)")
    for sub in (run, attach):
        sub.add_argument("--interval-ms", type=_positive_float, default=5.0,
                         help="RSS sampling interval in milliseconds (default 5)")
        sub.add_argument("--runs-dir", default="runs")
        sub.add_argument("--label", default="", help="a note stored with the run")
        sub.add_argument("--no-tui", action="store_true", help="print progress and a table")
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="CMD", help="-- then the command")

    for sub in (bench, replay, diff, run, attach):
        _add_tui_options(sub)
    for sub in (bench, replay, run, attach):
        _add_alarm_options(sub)
    _add_tui_options(parser)
    parser.add_argument("--runs-dir", default="runs", help=argparse.SUPPRESS)
    return parser


def _add_tui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--theme", help="memtop-dark (default), memtop-light, "
                                        "memtop-high-contrast, or a user theme")
    parser.add_argument("--ascii", action="store_true", default=None,
                        help="draw without block glyphs (automatic without a UTF-8 locale)")


ALARM_OPTIONS = (("--swap-info-mb", "swap_info_mb", "info alarm above this swap (default 100)"),
                 ("--swap-warning-mb", "swap_warning_mb", "warning above this swap (default 1000)"),
                 ("--pressure-pct", "pressure_some_pct",
                  "warning when /proc/pressure/memory 'some' avg10 reaches this (default 10)"),
                 ("--cgroup-pct", "cgroup_fraction", "warning when the cgroup is this full "
                                                     "(percent, default 90)"))


def _add_alarm_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("alarm thresholds")
    for flag, dest, text in ALARM_OPTIONS:
        group.add_argument(flag, dest=dest, type=_positive_float, help=text)


def _thresholds(args: argparse.Namespace) -> dict[str, float]:
    values = {dest: getattr(args, dest) for _, dest, _ in ALARM_OPTIONS
              if getattr(args, dest) is not None}
    if "cgroup_fraction" in values:
        values["cgroup_fraction"] /= 100
    return values


def _ascii(args: argparse.Namespace) -> bool:
    if args.ascii:
        return True
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding != "utf8"


def _tui_app_class() -> type:
    try:
        from memtop.tui.app import MemtopApp
    except ImportError:
        raise UserError("the TUI needs textual: pip install 'memtop[tui]' "
                        "(or use --no-tui)") from None
    return MemtopApp


def _run_app(args: argparse.Namespace, **kwargs: object) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the TUI needs a terminal: for text use memtop show, memtop diff "
                        "--format, or --no-tui")
    app = _tui_app_class()(theme=args.theme, ascii=_ascii(args), runs_dir=args.runs_dir, **kwargs)
    try:
        app.run()
    finally:
        app.close_sources()
    return app.return_code or 0


def cmd_bench(args: argparse.Namespace) -> int:
    from memtop.engine.backends import parse_backends
    from memtop.engine.models import check_model_argument
    from memtop.engine.runspec import RunSpec

    backends = parse_backends(args.backend)
    check_model_argument(args.model, args.weights)
    if args.mode == "training" and "openvino" in backends:
        raise UserError("OpenVINO is inference-only: --mode training runs on tensorflow, "
                        "torch or jax")
    if args.mode == "training" and args.leak_iterations:
        raise UserError("--leak-iterations repeats inference: not with --mode training")
    batch_sizes = _batch_sizes(args.batch_size)
    env = _env_pairs(args.env)
    specs = [RunSpec(backend=b, model=args.model, weights=args.weights, prompt=args.prompt,
                     second_prompt=args.second_prompt, max_length=args.max_length,
                     dtype=args.dtype, isolate=args.isolate, interval_ms=args.interval_ms,
                     runs_dir=args.runs_dir, label=args.label, alarms=_thresholds(args),
                     mode=args.mode, batch_size=size, leak_iterations=args.leak_iterations,
                     training_steps=args.training_steps, device=args.device, env=env)
             for b in backends for size in batch_sizes]
    return _run_specs(args, specs, parallel=args.parallel)


def _command_name(command: list[str]) -> str:
    """`python train.py` is called train.py; anything else by its program."""
    first = os.path.basename(command[0])
    if first.startswith("python") and len(command) > 1 and not command[1].startswith("-"):
        return os.path.basename(command[1])
    return first


def cmd_run(args: argparse.Namespace) -> int:
    from memtop.engine.runspec import RunSpec

    command = list(args.argv)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UserError("memtop run needs a command: memtop run [--name NAME] -- CMD ARGS...")
    program = command[0]
    if shutil.which(program) is None:
        raise UserError(f"command not found: {program}")
    spec = RunSpec(backend="", model=args.name or _command_name(command), command=command,
                   interval_ms=args.interval_ms, runs_dir=args.runs_dir, label=args.label,
                   alarms=_thresholds(args))
    return _run_specs(args, [spec])


def cmd_attach(args: argparse.Namespace) -> int:
    from memtop.engine.attach import check_attachable
    from memtop.engine.runspec import RunSpec

    name = check_attachable(args.pid)
    spec = RunSpec(backend="", model=args.name or name, attach_pid=args.pid,
                   interval_ms=args.interval_ms, runs_dir=args.runs_dir, label=args.label,
                   alarms=_thresholds(args))
    return _run_specs(args, [spec])


def _run_specs(args: argparse.Namespace, specs: list, parallel: int = 1) -> int:
    """Runs specs headless (--no-tui) or in the dashboard; then prints what they recorded."""
    from memtop.headless import print_results, result_code, run_headless

    summary_path = getattr(args, "json_summary", None)
    if not args.no_tui and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("memtop: no terminal here: running without the TUI (--no-tui)", file=sys.stderr)
        args.no_tui = True
    if args.no_tui:
        paths: list[str] = []
        code = run_headless(specs, parallel=parallel, paths=paths)
    else:
        from memtop.tui.sources import LiveSource

        _tui_app_class()  # before any session starts
        source = LiveSource(specs, parallel=parallel)
        code = _run_app(args, start="dashboard", source=source)
        paths = source.paths
        print_results(specs, paths)
        code = code or result_code(specs, paths)
    if summary_path:
        reports_cli.write_json_summary(summary_path, paths)
    return code


def cmd_replay(args: argparse.Namespace) -> int:
    from memtop.engine.alarms import Thresholds
    from memtop.engine.store import read_run, resolve_run
    from memtop.tui.sources import FollowSource, ReplaySource

    paths = list(dict.fromkeys(resolve_run(ref, args.runs_dir) for ref in args.run))
    if args.follow:
        if len(paths) != 1:
            raise UserError("--follow takes one run")
        source = FollowSource(paths[0])
    else:
        source = ReplaySource([read_run(p) for p in paths], speed=args.speed,
                              thresholds=Thresholds(**_thresholds(args)))
    return _run_app(args, start="dashboard", source=source)


def cmd_diff(args: argparse.Namespace) -> int:
    from memtop.engine.store import read_run, resolve_run

    paths = [resolve_run(ref, args.runs_dir) for ref in (args.a, args.b)]
    for path in paths:
        read_run(path).close()  # a bad file is one line here, not a notice in the app
    if args.format:
        return reports_cli.print_diff(args, paths)
    return _run_app(args, start="diff", diff_paths=paths)


def cmd_home(args: argparse.Namespace) -> int:
    return _run_app(args, start="home")


COMMANDS = {"bench": cmd_bench, "show": reports_cli.cmd_show, "ls": reports_cli.cmd_ls,
            "replay": cmd_replay, "diff": cmd_diff, "run": cmd_run, "attach": cmd_attach,
            "export": reports_cli.cmd_export, "check": reports_cli.cmd_check}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            return cmd_home(args)
        return COMMANDS[args.command](args)
    except UserError as exc:
        return _fail(str(exc))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `memtop show … | head`
        return 0
