"""The `memtop` command line's grammar: every command, its options and their types.

Bad input is a one-line error (exit code 2) through `fail`, never argparse's usage dump.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys

from memtop import __version__
from memtop.engine.models.catalog import TASKS
from memtop.engine.spec import WEIGHTS
from memtop.engine.text import shown

from . import values

EXIT_USAGE = 2
FORMATS = ("table", "markdown", "json", "csv")
# Given before or after the command; the subcommands' own default is the top level's.
RUNS_DIR_HELP = "the folder of run files (default: ./runs)"
INTERVAL_HELP = ("milliseconds between readings (default 50: each the exact maximum since the "
                 "last; 5 where memtop may not reset the mark, as under attach)")


def fail(message: str) -> int:
    """One line on stderr; a message may quote a run file or a program, so it is shown as data."""
    print(f"memtop: error: {shown(message, 1000)}", file=sys.stderr)
    return EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        wrong = re.match(r"argument command: invalid choice: '([^']*)'", message)
        if wrong:
            raise SystemExit(fail(_unknown_command(wrong.group(1))))
        raise SystemExit(fail(f"{self.prog}: {message}"))


COMMAND_NAMES = ("bench", "run", "attach", "show", "ls", "replay", "diff", "export", "check")


def _unknown_command(name: str) -> str:
    near = difflib.get_close_matches(name, COMMAND_NAMES, n=1)
    hint = f"did you mean '{near[0]}'?" if near else f"choose from {', '.join(COMMAND_NAMES)}"
    return f"unknown command '{name}': {hint}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="memtop", description="Memory monitor for ML model runs.")
    parser.add_argument("--version", action="version", version=f"memtop {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    bench = commands.add_parser("bench", help="run the cross-backend benchmark")
    bench.add_argument("--backend", help="comma-separated: tensorflow,torch,jax,openvino "
                                          "(default: every installed backend)")
    bench.add_argument("--model", default="gpt2_medium_en",
                       help="a keras-hub preset (name, handle or local directory) of any task, "
                            "keras.applications.NAME, or your factory: file.py:build or "
                            "package.module:build")
    bench.add_argument("--task", choices=TASKS, default="auto",
                       help="the task a preset is loaded as (auto: what the preset says)")
    bench.add_argument("--sequence-length", type=values.length, default=128,
                       help="tokens per input where a model leaves the length open "
                            "(predict, training)")
    bench.add_argument("--weights", choices=WEIGHTS, default="auto",
                       help="auto: the real preset when it loads, else random weights")
    bench.add_argument("--prompt", default="Hello")
    bench.add_argument("--second-prompt", default="Test")
    bench.add_argument("--max-length", type=values.length, default=10)
    bench.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32")
    bench.add_argument("--mode", choices=("inference", "training"), default="inference",
                       help="training: a few fit steps on random tokens instead of generate")
    bench.add_argument("--batch-size", default="1", metavar="N[,N…]",
                       help="prompts per call; several sizes run one session each: 1,8,32")
    bench.add_argument("--leak-iterations", type=values.iterations, default=0, metavar="N",
                       help="repeat the generation N times after the protocol: leak slope")
    bench.add_argument("--training-steps", type=values.steps, default=4)
    bench.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    bench.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                       help="set in each session, e.g. XLA_PYTHON_CLIENT_PREALLOCATE=false")
    bench.add_argument("--isolate", action="store_true",
                       help="keep other ML frameworks out of each session")
    bench.add_argument("--interval-ms", type=values.interval_ms, default=None,
                       help=INTERVAL_HELP)
    bench.add_argument("--parallel", type=values.parallel, default=1,
                       help="sessions at once (default 1: timings stay honest)")
    bench.add_argument("--matrix", action="append", default=[], metavar="AXIS=V[,V…]",
                       help="more runs per backend: model, dtype, batch_size, max_length, "
                            "sequence_length, weights or mode (repeat for more axes)")
    bench.add_argument("--cluster", metavar="ADDRESS",
                       help="run on a Ray cluster: auto (RAY_ADDRESS or the local one) or an "
                            "address; one run per node at a time (docs/cluster.md)")
    bench.add_argument("--resources", metavar="NAME=N[,…]",
                       help="with --cluster: what each run needs of its node, e.g. GPU=1")
    bench.add_argument("--node", metavar="ID|HOST|IP|LABEL=VALUE",
                       help="with --cluster: only this node (or these, by label)")
    bench.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)
    bench.add_argument("--label", default="", help="a note stored with each run")
    bench.add_argument("--no-tui", action="store_true", help="print progress and a table")
    bench.add_argument("--json-summary", metavar="PATH",
                       help="also write every run's figures as JSON (for pipelines)")

    fit = commands.add_parser("fit", help="the largest batch (or sequence) each backend runs "
                                          "within a memory budget (docs/fit.md)")
    fit.add_argument("--budget", required=True, help="host memory, like 8GiB or 3G")
    fit.add_argument("--backend", help="comma-separated (default: every installed backend)")
    fit.add_argument("--model", default="gpt2_medium_en", help="as for bench")
    fit.add_argument("--weights", choices=WEIGHTS, default="auto")
    fit.add_argument("--task", choices=TASKS, default="auto")
    fit.add_argument("--axis", choices=("batch", "sequence"), default="batch",
                     help="what grows: the batch size, or the sequence length (tokens)")
    fit.add_argument("--mode", choices=("inference", "training"), default="inference")
    fit.add_argument("--predict", metavar="SIZE[,SIZE…]",
                     help="budgets to predict the largest size for, from the fitted line")
    fit.add_argument("--max-size", type=values.length, default=4096,
                     help="the largest size tried (default 4096)")
    fit.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), default="float32")
    fit.add_argument("--max-length", type=values.length, default=10)
    fit.add_argument("--sequence-length", type=values.length, default=128)
    fit.add_argument("--isolate", action="store_true",
                     help="keep other ML frameworks out of each session")
    fit.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)
    fit.add_argument("--label", default="", help="a note stored with each trial")
    fit.add_argument("--no-tui", action="store_true", help="print each trial and the table")

    show = commands.add_parser("show", help="print a run's stage table and summary")
    show.add_argument("run", nargs="+", help="a run file, a run id, or 'latest'")
    show.add_argument("--format", choices=FORMATS, default="table")
    show.add_argument("--stats", action="store_true",
                      help="also RSS mean/max/min/std/median per stage (in JSON always)")
    show.add_argument("--log", action="store_true",
                      help="print the program's output as the run file kept it, instead")
    show.add_argument("--allocations", action="store_true",
                      help="each stage's top allocation sites (a run made with --allocations)")
    show.add_argument("--unfold", action="store_true",
                      help="a row for every occurrence of a repeated stage (default: one row "
                           "per stage path, its worst occurrence; JSON and CSV list every one)")
    show.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)

    ls = commands.add_parser("ls", help="list recorded runs, newest first")
    ls.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)

    replay = commands.add_parser("replay", help="play saved runs back in the dashboard")
    replay.add_argument("run", nargs="+", help="run files, run ids, or 'latest'")
    replay.add_argument("--follow", action="store_true",
                        help="follow a run file another memtop is still writing")
    replay.add_argument("--speed", type=values.speed, default=1.0)
    replay.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)

    diff = commands.add_parser("diff", help="runs side by side, aligned by stage, against "
                                             "the first")
    diff.add_argument("runs", nargs="+", metavar="RUN",
                      help="two runs or more: run files, run ids, or 'latest'; the first is "
                           "the baseline every other is compared with")
    diff.add_argument("--format", choices=FORMATS,
                      help="print instead of opening the diff screen")
    diff.add_argument("--unfold", action="store_true",
                      help="a row for every occurrence of a repeated stage (default: one row "
                           "per stage path, its worst occurrence; JSON and CSV list every one)")
    diff.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)

    export = commands.add_parser("export", help="a run for other tools: a Perfetto/Chrome "
                                                "trace, or its samples as CSV")
    export.add_argument("run", help="a run file, a run id, or 'latest'")
    export.add_argument("--format", choices=("perfetto", "csv"), default="perfetto")
    export.add_argument("--resolution", choices=("auto", "raw", "1s"), default="auto",
                        help="every reading (raw), or each second's peaks (1s: the readings "
                             "holding each second's highest values, so peaks stay exact); "
                             "auto: raw up to 2,000,000 samples (2.8 hours at 200 Hz, a trace "
                             "the Perfetto UI opens) and 1s beyond for Perfetto, raw for CSV")
    export.add_argument("-o", "--output", help="file to write ('-': standard output; default "
                                               "RUN_ID.trace.json or RUN_ID.samples.csv)")
    export.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)

    check = commands.add_parser("check", help="a run against memory budgets: exit 0 within, "
                                              "1 over, 2 bad input")
    check.add_argument("run", help="a run file, a run id, or 'latest'")
    check.add_argument("--max-peak", metavar="SIZE", help="e.g. 4GiB (binary) or 4GB (decimal)")
    check.add_argument("--max-stage-peak", metavar="STAGE=SIZE", action="append",
                       help="e.g. first_inference=3GiB; STAGE is a name (every occurrence: "
                            "evaluate), a path (fit/epoch/evaluate) or one occurrence "
                            "(fit/epoch#2/evaluate); repeat for more stages")
    check.add_argument("--max-swap", metavar="SIZE", help="e.g. 0")
    check.add_argument("--max-leak", metavar="SIZE/iter", help="e.g. 1MiB/iter")
    check.add_argument("--baseline", metavar="RUN", help="a run to compare peaks with, stage "
                       "by stage (each occurrence with the same one)")
    check.add_argument("--max-regression", metavar="PCT", help="e.g. 5%%")
    check.add_argument("--min-fit", type=values.length, metavar="N",
                       help="a fit: every backend's largest batch (or sequence) at least N")
    check.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)

    run = commands.add_parser("run", help="run any command as a session: memtop run -- CMD ARGS…")
    run.add_argument("--name", help="what to call the run (default: the script, the module of "
                     "`python -m`, else the program)")
    run.add_argument("--max-output", metavar="SIZE", default="512MiB",
                     help="the program's output kept in the run file (default 512MiB; all of it "
                          "is passed on)")
    run.add_argument("--stages-from-output", metavar="REGEX",
                     help="each output line that matches is a stage boundary, named by the "
                          "first group; 'seed' is the seeds' '[STAGE] name: ...' lines")
    attach = commands.add_parser("attach", help="watch a running process and its children")
    attach.add_argument("pid", type=int, help="the process id")
    attach.add_argument("--name", help="what to call the run (default: the process name)")
    for sub in (run, attach):
        sub.add_argument("--interval-ms", type=values.interval_ms, default=None,
                         help=INTERVAL_HELP)
        sub.add_argument("--runs-dir", default=argparse.SUPPRESS, help=RUNS_DIR_HELP)
        sub.add_argument("--label", default="", help="a note stored with the run")
        sub.add_argument("--no-tui", action="store_true", help="print progress and a table")
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="CMD", help="-- then the command")
    for sub in (bench, run):
        sub.add_argument("--point-samples", action="store_true",
                         help="read RSS without resetting the program's high-water mark (for a "
                              "program that reads its own VmHWM); stage peaks stay exact")

    for sub in (bench, run, attach):
        _add_engine_options(sub)
    commands.add_parser("ps", help="list the running memtop engines and their runs")
    attach_engine = commands.add_parser(
        "attach-engine", help="watch a running engine's runs live (after a dropped connection, "
                              "or from another terminal)")
    stop = commands.add_parser("stop", help="stop a running engine's runs and end it")
    for sub in (attach_engine, stop):
        sub.add_argument("pid", type=int, nargs="?", metavar="ENGINE",
                         help="its PID, as memtop ps shows (default: the only one running)")

    for sub in (bench, fit, replay, diff, run, attach, attach_engine):
        _add_tui_options(sub)
    for sub in (bench, replay, run, attach):
        _add_alarm_options(sub)
    for sub in (bench, run):
        sub.add_argument("--allocations", action="store_true",
                         help="track allocation sites with memray (slower: its cost is real); "
                              "memtop show RUN --allocations")
        sub.add_argument("--trim", action="store_true",
                         help="call malloc_trim(0) at each stage end and record how much RSS "
                              "came back (memory glibc held, not in use)")
    _add_tui_options(parser)
    parser.add_argument("--runs-dir", default="runs", help=RUNS_DIR_HELP)
    return parser


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--detach", action="store_true",
                        help="start the runs and return: the engine goes on without a terminal "
                             "(memtop ps, memtop attach-engine, memtop stop)")
    parser.add_argument("--keep-on-hangup", action="store_true", default=None,
                        help="if the terminal goes away (a dropped SSH connection), leave the "
                             "runs running instead of stopping them (default: stop; or set "
                             "engine.keep_on_hangup in ~/.config/memtop/config.toml)")


def _add_tui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--theme", help="memtop-dark (default), memtop-light, "
                                        "memtop-high-contrast, or a user theme")
    parser.add_argument("--ascii", action="store_true", default=None,
                        help="draw without block glyphs (automatic without a UTF-8 locale)")


ALARM_OPTIONS = (("--swap-info-mb", "swap_info_mb", "info alarm above this swap (default 100)",
                  values.megabytes),
                 ("--swap-warning-mb", "swap_warning_mb", "warning above this swap (default 1000)",
                  values.megabytes),
                 ("--pressure-pct", "pressure_some_pct",
                  "warning when /proc/pressure/memory 'some' avg10 reaches this (default 10)",
                  values.percent),
                 ("--cgroup-pct", "cgroup_fraction", "warning when the cgroup is this full "
                                                     "(percent, default 90)", values.percent),
                 ("--rank-drift-pct", "rank_drift_pct", "warning when ranks' RSS are this far "
                  "apart (percent of the largest, and 64 MiB or more; default 25)",
                  values.percent))


def _add_alarm_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("alarm thresholds")
    for flag, dest, text, kind in ALARM_OPTIONS:
        group.add_argument(flag, dest=dest, type=kind, help=text)


def thresholds(args: argparse.Namespace) -> dict[str, float]:
    values = {dest: getattr(args, dest) for _, dest, _, _ in ALARM_OPTIONS
              if getattr(args, dest) is not None}
    if "cgroup_fraction" in values:
        values["cgroup_fraction"] /= 100
    return values


