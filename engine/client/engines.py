"""Engines already running, as `memtop ps`, `memtop stop` and the home screen's engine list see
them: each asked through its socket (a dead one's socket is removed on the way)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from ..monitor.runtime_dir import EngineAddress, engine_addresses
from ..units import fmt_duration
from .engine_client import EngineClient, connect


def running_engines() -> list[tuple[EngineAddress, dict[str, Any]]]:
    """Each engine that answers, with what it says of itself (its `engine` message)."""
    found = []
    for address in engine_addresses():
        try:
            found.append((address, engine_state(address)))
        except UserError:
            continue
    return found


@dataclass(frozen=True)
class EngineLine:
    """One engine in words, for a list: how long it has been up, its runs, who watches."""

    pid: int
    up: str
    runs: str
    watching: int
    now: str


def engine_line(address: EngineAddress, state: dict[str, Any]) -> EngineLine:
    runs, queued = state.get("runs") or [], state.get("queued") or []
    ended = sum(r.get("status") != "running" for r in runs)
    going = [str(r.get("title") or "?") for r in runs if r.get("status") == "running"]
    up = fmt_duration(max(0.0, time.time() - float(state.get("started_wall") or 0))).strip()
    now = ", ".join(going) or ("queued" if queued else "idle")
    return EngineLine(address.pid, up, f"{ended} of {len(runs) + len(queued)} ended",
                      int(state.get("clients") or 0), now)


def engine_state(address: EngineAddress) -> dict[str, Any]:
    """What `memtop ps` shows of one engine."""
    client = EngineClient(connect(address, timeout=2.0))
    try:
        return dict(client.ask_info(timeout=2.0))
    finally:
        client.close()  # a watcher's close: the socket and its interrupt pipe, nothing stopped


def stop_engine(address: EngineAddress, timeout: float = 30.0) -> bool:
    """Asks an engine to stop its runs and waits for it to end; False if it did not in time."""
    client = EngineClient(connect(address))
    client.stop()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                if client.conn.poll(0.2):
                    client.conn.recv_bytes()
            except (EOFError, OSError):
                return True
        return False
    finally:
        client.close()
