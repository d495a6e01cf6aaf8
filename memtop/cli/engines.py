"""Engines that outlive their terminal: `memtop ps`, `memtop attach-engine`, `memtop stop`."""

from __future__ import annotations

import argparse

from memtop.engine.client import (
    EngineAddress,
    EngineClient,
    dead_engine_logs,
    engine_line,
    running_engines,
    stop_engine,
)
from memtop.engine.errors import UserError
from memtop.engine.text import shown

from .output import console


def cmd_ps(args: argparse.Namespace) -> int:
    out = console()
    engines = running_engines()
    for log in dead_engine_logs():
        out.print(f"an engine that ended left messages in {shown(log)}", markup=False,
                  highlight=False)
    if not engines:
        out.print("no memtop engine is running", markup=False, highlight=False)
        return 0
    for address, state in engines:
        line = engine_line(address, state)
        out.print(f"engine {line.pid}: up {line.up}, runs: {line.runs}, {line.watching} "
                  "watching", markup=False, highlight=False)
        for run in state["runs"]:
            out.print(f"  {shown(run['status'] or '?'):<9} {shown(run['title'] or '?', 40)}  "
                      f"{shown(run['run'] or '')}", markup=False, highlight=False)
        for spec in state["queued"]:
            name = spec.get("backend") or spec.get("model") or "?"
            out.print(f"  {'queued':<9} {shown(name, 40)}", markup=False, highlight=False)
    out.print("watch one: memtop attach-engine PID · stop one: memtop stop PID", markup=False,
              highlight=False)
    return 0


def chosen_engine(pid: int | None) -> EngineAddress:
    """The engine the user named, or the only one running."""
    engines = running_engines()
    if pid is not None:
        for address, _ in engines:
            if address.pid == pid:
                return address
        raise UserError(f"no memtop engine with PID {pid} is running (memtop ps lists them)")
    if not engines:
        raise UserError("no memtop engine is running (memtop ps lists them)")
    if len(engines) > 1:
        pids = ", ".join(str(a.pid) for a, _ in engines)
        raise UserError(f"several engines are running ({pids}): memtop attach-engine PID")
    return engines[0][0]


def cmd_attach_engine(args: argparse.Namespace) -> int:
    from memtop.engine.client import LiveSource

    from .live import run_app

    address = chosen_engine(args.pid)
    client = EngineClient.attach(address)
    source = LiveSource(client=client)
    return run_app(args, start="dashboard", source=source, keep_on_hangup=True)


def cmd_stop(args: argparse.Namespace) -> int:
    address = chosen_engine(args.pid)
    if not stop_engine(address):
        raise UserError(f"engine {address.pid} did not end within 30 s: kill {address.pid}")
    print(f"memtop: engine {address.pid} stopped its runs and ended")
    return 0
