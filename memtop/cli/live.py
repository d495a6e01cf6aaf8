"""The commands that run or replay: bench, run, attach, replay, diff, and the home screen."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
from typing import TYPE_CHECKING

from memtop.engine.errors import UserError

from .config import keep_on_hangup
from .parser import thresholds
from .reports import print_diff, write_json_summary
from .values import batch_sizes, env_pairs

if TYPE_CHECKING:
    from memtop.engine.client import RunsClient


def _ascii(args: argparse.Namespace) -> bool:
    if args.ascii:
        return True
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding != "utf8"


def tui_app_class() -> type:
    try:
        from memtop.tui.app import MemtopApp
    except ImportError:
        raise UserError("the TUI needs textual: pip install 'memtop[tui]' "
                        "(or use --no-tui)") from None
    return MemtopApp


def run_app(args: argparse.Namespace, **kwargs: object) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the TUI needs a terminal: for text use memtop ls, memtop show, "
                        "memtop diff --format, or memtop bench/run/fit --no-tui")
    app = tui_app_class()(theme=args.theme, ascii=_ascii(args), runs_dir=args.runs_dir, **kwargs)
    try:
        app.run()
    finally:
        app.close_sources()
    return app.return_code or 0


def model_backends(args: argparse.Namespace) -> list[str]:
    """The backends of `bench` or `fit`, once the model and the mode are known to suit them
    (checked before any session starts)."""
    from memtop.engine.backends import parse_backends
    from memtop.engine.models.catalog import check_model_argument

    backends = parse_backends(args.backend)
    check_model_argument(args.model, args.weights, args.task)
    if args.mode == "training" and "openvino" in backends:
        raise UserError("OpenVINO is inference-only: --mode training runs on tensorflow, "
                        "torch or jax")
    return backends


def allocations_asked(args: argparse.Namespace, command: list[str] | None) -> bool:
    """--allocations, once memray is here and the command (for `run`) is a Python program."""
    if not args.allocations:
        return False
    import importlib.util

    if importlib.util.find_spec("memray") is None:
        raise UserError("--allocations needs memray: pip install 'memtop[allocations]'")
    if command is not None and not os.path.basename(command[0]).startswith("python"):
        raise UserError("--allocations runs a Python program under memray: memtop run "
                        "--allocations -- python script.py (or python -m module)")
    return True


def cmd_bench(args: argparse.Namespace) -> int:
    from memtop.engine.models.catalog import check_model_argument
    from memtop.engine.spec import RunSpec

    from .matrix import combinations, matrix_axes

    backends = model_backends(args)
    if args.mode == "training" and args.leak_iterations:
        raise UserError("--leak-iterations repeats inference: not with --mode training")
    axes = matrix_axes(args.matrix)
    if "batch_size" not in axes:
        axes["batch_size"] = batch_sizes(args.batch_size)
    elif args.batch_size != "1":
        raise UserError("batch sizes are given twice: --batch-size or --matrix batch_size=")
    for model in axes.get("model", []):
        check_model_argument(model, args.weights, args.task)
    if "openvino" in backends and "training" in axes.get("mode", []):
        raise UserError("OpenVINO is inference-only: --matrix mode=training runs on "
                        "tensorflow, torch or jax")
    env = env_pairs(args.env)
    base = dict(model=args.model, weights=args.weights, prompt=args.prompt,
                second_prompt=args.second_prompt, max_length=args.max_length,
                dtype=args.dtype, isolate=args.isolate, interval_ms=args.interval_ms,
                point_samples=args.point_samples,
                runs_dir=args.runs_dir, label=args.label, alarms=thresholds(args),
                mode=args.mode, leak_iterations=args.leak_iterations,
                training_steps=args.training_steps, device=args.device, env=env,
                task=args.task, sequence_length=args.sequence_length, trim=args.trim,
                allocations=allocations_asked(args, None))
    specs = [RunSpec(backend=b, **{**base, **cell}) for b in backends
             for cell in combinations(axes)]
    if (args.resources or args.node) and not args.cluster:
        raise UserError("--resources and --node place runs on a cluster: add --cluster auto")
    client = _cluster_client(args) if args.cluster else None
    return _run_specs(args, specs, parallel=args.parallel, client=client)


def _cluster_client(args: argparse.Namespace) -> object:
    """A driver of the Ray cluster at --cluster, with the nodes that qualify (one line where
    there is no Ray, no cluster, or no such node)."""
    from memtop.engine.cluster import connect_cluster, parse_resources

    if args.detach:
        raise UserError("--detach: runs on a cluster end with their driver (memtop)")
    return connect_cluster(args.cluster, parse_resources(args.resources), args.node)


def cmd_run(args: argparse.Namespace) -> int:
    from memtop.engine.analysis.output_stages import compile_pattern
    from memtop.engine.probes.ranks import command_name
    from memtop.engine.spec import RunSpec
    from memtop.engine.units import parse_size

    command = list(args.argv)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UserError("memtop run needs a command: memtop run [--name NAME] -- CMD ARGS...")
    program = command[0]
    if shutil.which(program) is None:
        raise UserError(f"command not found: {program}")
    pattern = args.stages_from_output
    if pattern is not None:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    spec = RunSpec(backend="", model=args.name or command_name(command), command=command,
                   interval_ms=args.interval_ms, runs_dir=args.runs_dir, label=args.label,
                   point_samples=args.point_samples,
                   alarms=thresholds(args), max_output=parse_size(args.max_output),
                   stage_pattern=pattern, trim=args.trim,
                   allocations=allocations_asked(args, command))
    return _run_specs(args, [spec])


def cmd_attach(args: argparse.Namespace) -> int:
    from memtop.engine.probes.attach import check_attachable
    from memtop.engine.spec import RunSpec

    name = check_attachable(args.pid)
    spec = RunSpec(backend="", model=args.name or name, attach_pid=args.pid,
                   interval_ms=args.interval_ms, runs_dir=args.runs_dir, label=args.label,
                   alarms=thresholds(args))
    return _run_specs(args, [spec])


def _run_specs(args: argparse.Namespace, specs: list, parallel: int = 1,
               client: RunsClient | None = None) -> int:
    """Runs specs headless (--no-tui) or in the dashboard; then prints what they recorded."""
    from memtop.cli.headless import print_results, print_unstarted, result_code, run_headless
    from memtop.engine.client import LiveSource
    from memtop.engine.store import prepare_runs_dir

    prepare_runs_dir(args.runs_dir)
    summary_path = getattr(args, "json_summary", None)
    if args.detach:
        return _detached(specs, parallel)
    if not args.no_tui and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("memtop: no terminal here: running without the TUI (--no-tui)", file=sys.stderr)
        args.no_tui = True
    if args.no_tui and len(specs) == 1 and specs[0].kind == "run":
        from memtop.cli.through import run_through

        paths: list[str] = []
        code = run_through(dataclasses.replace(specs[0], pass_stdin=True), paths,
                           keep_on_hangup=keep_on_hangup(args.keep_on_hangup))
    elif args.no_tui:
        paths = []
        code = run_headless(LiveSource(specs, parallel=parallel, client=client), specs,
                            paths=paths, keep_on_hangup=keep_on_hangup(args.keep_on_hangup))
    else:
        tui_app_class()  # before any session starts
        source = LiveSource(specs, parallel=parallel, client=client)
        code = run_app(args, start="dashboard", source=source,
                       keep_on_hangup=keep_on_hangup(args.keep_on_hangup))
        if source.detached:
            print(left_running(source.engine_pid))
            return 0
        paths = source.paths
        print_results(specs, paths)
        print_unstarted(source.unstarted)
        code = code or result_code(specs, source.ends)
    if summary_path:
        write_json_summary(summary_path, paths)
    return code


def _detached(specs: list, parallel: int) -> int:
    """`--detach`: the runs are queued, the engine goes on alone, memtop returns."""
    from memtop.engine.client import EngineClient

    client = EngineClient()
    client.submit(specs, parallel=parallel)
    message = None
    while message is None or message["type"] != "queued":  # the engine took them
        message = client.receive(30)
        if message is None or message["type"] in ("exited", "fatal"):
            client.close(timeout=5)
            raise UserError("the engine did not take the runs (it ended or did not answer)")
    client.detach()
    print(left_running(client.pid))
    return 0


def left_running(pid: int | None) -> str:
    return (f"memtop: engine {pid} goes on with the runs: memtop attach-engine {pid} to watch, "
            f"memtop stop {pid} to stop them, memtop ps to list engines")


def cmd_replay(args: argparse.Namespace) -> int:
    from memtop.engine.analysis.alarms import Thresholds
    from memtop.engine.client import FollowSource, ReplaySource
    from memtop.engine.store import read_run, resolve_run

    paths = list(dict.fromkeys(resolve_run(ref, args.runs_dir) for ref in args.run))
    if args.follow:
        if len(paths) != 1:
            raise UserError("--follow takes one run")
        source = FollowSource(paths[0])
    else:
        # The alarms the runs raised, or raised again where other thresholds are given.
        given = thresholds(args)
        source = ReplaySource([read_run(p) for p in paths], speed=args.speed,
                              thresholds=Thresholds(**given) if given else None)
    return run_app(args, start="dashboard", source=source)


def cmd_diff(args: argparse.Namespace) -> int:
    from memtop.engine.store import read_run, resolve_run

    if len(args.runs) < 2:
        raise UserError("memtop diff needs two runs or more: memtop diff A B [C ...]")
    paths = [resolve_run(ref, args.runs_dir) for ref in args.runs]
    runs = [read_run(path) for path in paths]  # a bad file is one line here, not in the app
    fits = [(run.run_id, run.meta.get("fit")) for run in runs if run.meta.get("kind") == "fit"]
    for run in runs:
        run.close()
    if fits:
        return _print_fits(fits, len(runs))
    if args.format:
        return print_diff(args, paths)
    return run_app(args, start="diff", diff_paths=paths)


def _print_fits(fits: list, runs: int) -> int:
    from memtop.cli.output import console
    from memtop.engine.report.sizing import fit_diff_table

    if len(fits) != runs:
        raise UserError("a fit compares with fits only: memtop diff FIT FIT")
    console().print(fit_diff_table([(run_id, fit or {}) for run_id, fit in fits]))
    return 0


def cmd_home(args: argparse.Namespace) -> int:
    return run_app(args, start="home")
