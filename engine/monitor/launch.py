"""Starting a session: its environment, its process, and the thread that reads its events.

A session is a clean interpreter (`python -m memtop.engine.session`, or the user's command) in
its own process group, with `PR_SET_PDEATHSIG = SIGKILL` so that it cannot outlive the engine.
Sessions are started from the engine's main thread on purpose: the parent-death signal fires
when the *thread* that forked the child exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from typing import IO

from ..probes.processes import processes_marked
from ..spec import EVENT_FD_ENV, RUN_ENV, SPEC_ENV, RunSpec

_PR_SET_PDEATHSIG = 1
SESSION_MODULE = "memtop.engine.session"


def _die_with_parent() -> None:
    """In the session, before exec: SIGKILL when the engine's thread that started it dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def make_run_id(spec: RunSpec) -> str:
    name = os.path.basename(os.path.normpath(spec.model)) or "model"
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    kind = spec.backend if spec.kind == "bench" else spec.kind
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{name}-{secrets.token_hex(2)}"


def device_env(device: str) -> dict[str, str]:
    """Environment for a session on `device`: a CPU run hides every GPU from every framework."""
    if device == "cpu":
        return {"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    return {}


def session_env(spec: RunSpec, event_fd: int, run_id: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({SPEC_ENV: json.dumps(spec.to_dict()), EVENT_FD_ENV: str(event_fd),
                RUN_ENV: run_id, "PYTHONUNBUFFERED": "1"})
    if spec.backend:
        env["KERAS_BACKEND"] = spec.backend
        env.update(device_env(spec.device))
    env.update(spec.env)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def start_session(spec: RunSpec, run_id: str, log: IO[bytes], inbox: deque,
                  events_closed: threading.Event) -> subprocess.Popen:
    """Starts the session; its events are appended to `inbox` as ("event", dict) by a thread,
    which sets `events_closed` when every holder of the pipe has closed it."""
    read_fd, write_fd = os.pipe()
    argv = spec.command or [sys.executable, "-m", SESSION_MODULE]
    try:
        process = subprocess.Popen(
            argv, env=session_env(spec, write_fd, run_id), pass_fds=(write_fd,),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    threading.Thread(target=_read_events, args=(read_fd, inbox, events_closed), daemon=True,
                     name=f"events-{process.pid}").start()
    return process


def leftovers(run_id: str, group: int) -> tuple[list[str], list[str]]:
    """After the session: its descendants still alive, as "PID (name)": (those in its process
    group, which memtop's group kill ends; those that left it, a daemon, which it cannot)."""
    in_group, outside = [], []
    for pid, name, pgid in processes_marked(f"{RUN_ENV}={run_id}"):
        (in_group if pgid == group else outside).append(f"{pid} ({name})")
    return in_group, outside


def _read_events(fd: int, inbox: deque, closed: threading.Event) -> None:
    with os.fdopen(fd, "rb") as stream:
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                event = None  # not JSON: counted as a bad event where the run is pumped
            inbox.append(("event", event))
    closed.set()
