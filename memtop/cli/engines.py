"""Engines that outlive their terminal: `memtop ps`, `memtop attach-engine`, `memtop stop`."""

from __future__ import annotations

import argparse
import time
from typing import Any

from memtop.engine.client import EngineClient, engine_state, stop_engine
from memtop.engine.errors import UserError
from memtop.engine.runtime_dir import EngineAddress, engine_addresses
from memtop.engine.text import shown
from memtop.engine.units import fmt_duration

from .output import console


def running_engines() -> list[tuple[EngineAddress, dict[str, Any]]]:
    """Each engine that answers, with what it says of itself; dead ones' sockets are removed."""
    found = []
    for address in engine_addresses():
        try:
            found.append((address, engine_state(address)))
        except UserError:
            continue
    return found


def cmd_ps(args: argparse.Namespace) -> int:
    out = console()
    engines = running_engines()
    if not engines:
        out.print("no memtop engine is running", markup=False, highlight=False)
        return 0
    for address, state in engines:
        runs, queued = state["runs"], state["queued"]
        done = sum(r["status"] not in ("running",) for r in runs)
        age = fmt_duration(max(0.0, time.time() - float(state["started_wall"] or 0)))
        out.print(f"engine {address.pid}: up {age}, {done} of {len(runs) + len(queued)} runs "
                  f"ended, {state['clients']} watching", markup=False, highlight=False)
        for run in runs:
            out.print(f"  {shown(run['status'] or '?'):<9} {shown(run['title'] or '?', 40)}  "
                      f"{shown(run['run'] or '')}", markup=False, highlight=False)
        for spec in queued:
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
    from memtop.tui.sources import LiveSource

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
