"""Starting a session: its environment, its process, and the readers of its output and events.

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
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from ..probes.attach import AttachedProcess
from ..probes.memory_limit import MemoryLimit, create_limit
from ..probes.peak_mark import PEAKS_DIR_ENV
from ..probes.processes import processes_marked
from ..probes.procfs import boot_id
from ..spec import (
    ALLOCATIONS_ENV,
    CAPTURE_SUFFIX,
    EVENT_FD_ENV,
    EVENT_PIPE_ENV,
    RUN_ENV,
    SPEC_ENV,
    TRIM_ENV,
    RunSpec,
)
from ..store.files import new_run_id
from ..store.schema import SCHEMA_VERSION
from .event_reader import EventReader
from .output import STDERR, STDOUT, start_readers
from .waker import Inbox

_PR_SET_PDEATHSIG = 1
SESSION_MODULE = "memtop.engine.session"


def _die_with_parent() -> None:
    """In the session, before exec: SIGKILL when the engine's thread that started it dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _in_cgroup(limit: MemoryLimit) -> Callable[[], None]:
    def before_exec() -> None:
        _die_with_parent()
        limit.join_in_child()  # before exec: every page the session maps is charged there
    return before_exec


def make_run_id(spec: RunSpec) -> str:
    return new_run_id(spec.backend if spec.kind == "bench" else spec.kind, spec.model)


def initial_meta(spec: RunSpec, run_id: str, t_start: float,
                 bench: dict[str, Any] | None) -> dict[str, Any]:
    """What a run file says of a run from its first moment."""
    meta = {"run_id": run_id, "schema": SCHEMA_VERSION, "spec": spec.to_dict(),
            "backend": spec.backend, "model": spec.model, "weights": spec.weights,
            "label": spec.label, "kind": spec.kind, "command": spec.command,
            "status": "running", "t_start": t_start, "started_wall": time.time(),
            "interval_ms": spec.interval_ms, "engine_host": socket.gethostname(),
            "allocations": {"capture": run_id + CAPTURE_SUFFIX, "tracker": "memray",
                            "native": True} if spec.allocations else None,
            "engine_pid": os.getpid(), "boot_id": boot_id()}
    if bench:
        meta["bench"] = bench
    if spec.origin:
        meta["cluster"] = dict(spec.origin)
    return meta


def device_env(device: str) -> dict[str, str]:
    """Environment for a session on `device`: a CPU run hides every GPU from every framework."""
    if device == "cpu":
        return {"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    return {}


def capture_path(spec: RunSpec, run_id: str) -> str:
    return os.path.join(spec.runs_dir, run_id + CAPTURE_SUFFIX)


def session_argv(spec: RunSpec, run_id: str) -> list[str]:
    """What the session runs: the model protocol, or the user's command; with --allocations a
    Python command runs under `memray run` (the CLI checked that it is one)."""
    if not spec.command:
        return [sys.executable, "-m", SESSION_MODULE]
    if not spec.allocations:
        return list(spec.command)
    return [spec.command[0], "-m", "memray", "run", "--native", "--quiet", "--force",
            "--output", capture_path(spec, run_id), *spec.command[1:]]


def session_env(spec: RunSpec, event_fd: int, run_id: str,
                peaks_dir: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({SPEC_ENV: json.dumps(spec.to_dict()), EVENT_FD_ENV: str(event_fd),
                EVENT_PIPE_ENV: str(os.fstat(event_fd).st_ino), RUN_ENV: run_id,
                "PYTHONUNBUFFERED": "1"})
    env.pop(PEAKS_DIR_ENV, None)  # memtop under memtop: the inner run's marks are its own
    if peaks_dir:
        env[PEAKS_DIR_ENV] = peaks_dir
    if spec.backend:
        env["KERAS_BACKEND"] = spec.backend
        env.update(device_env(spec.device))
    env.update(spec.env)
    if spec.trim:
        env[TRIM_ENV] = "1"
    if spec.allocations and not spec.command:  # a command is wrapped in `memray run` instead
        env[ALLOCATIONS_ENV] = capture_path(spec, run_id)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def session_limit(spec: RunSpec) -> tuple[MemoryLimit | None, dict[str, Any]]:
    """The memory cgroup a `memtop fit` trial runs in, and what its run file says of it."""
    if not spec.memory_limit:
        return None, {}
    limit, why_not = create_limit(spec.memory_limit)
    said = {"bytes": spec.memory_limit, "method": limit.method if limit else None}
    return limit, {"memory_limit": said if limit else {**said, "why_not": why_not}}


def start_process(spec: RunSpec, run_id: str, inbox: Inbox, finished: threading.Event,
                  stdin: int | None, limit: MemoryLimit | None, peaks_dir: str | None
                  ) -> tuple[subprocess.Popen | AttachedProcess, EventReader | None]:
    """The run's process: the one `attach` names (no events), or a session started as
    `start_session` does; `stdin` is closed here (the session has its own copy) and `limit`
    removed if the start fails."""
    if spec.attach_pid:
        return AttachedProcess(spec.attach_pid), None
    try:
        return start_session(spec, run_id, inbox, finished, stdin, limit, peaks_dir)
    except BaseException:
        if limit is not None:
            limit.remove()
        raise
    finally:
        if stdin is not None:
            os.close(stdin)


def start_session(spec: RunSpec, run_id: str, inbox: Inbox, finished: threading.Event,
                  stdin: int | None = None, limit: MemoryLimit | None = None,
                  peaks_dir: str | None = None) -> tuple[subprocess.Popen, EventReader]:
    """Starts the session (in `limit`'s cgroup, if any); a thread a stream appends its output
    (("output", …)) to `inbox`, and the returned reader queues its events. Its stdin is `stdin`
    (the user's terminal, passed on by `memtop run --no-tui`) or nothing."""
    read_fd, write_fd = os.pipe()
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    argv = session_argv(spec, run_id)
    try:
        process = subprocess.Popen(
            argv, env=session_env(spec, write_fd, run_id, peaks_dir), pass_fds=(write_fd,),
            stdin=subprocess.DEVNULL if stdin is None else stdin, stdout=out_write,
            stderr=err_write, start_new_session=True,
            preexec_fn=_die_with_parent if limit is None else _in_cgroup(limit))
    except BaseException:
        for fd in (read_fd, out_read, err_read):
            os.close(fd)
        raise
    finally:
        for fd in (write_fd, out_write, err_write):
            os.close(fd)
    start_readers({STDOUT: out_read, STDERR: err_read}, inbox, finished)
    return process, EventReader(read_fd, f"events-{process.pid}", inbox.wake)


def leftovers(run_id: str, group: int) -> tuple[list[str], list[str]]:
    """After the session: its descendants still alive, as "PID (name)": (those in its process
    group, which memtop's group kill ends; those that left it, a daemon, which it cannot)."""
    in_group, outside = [], []
    for pid, name, pgid in processes_marked(f"{RUN_ENV}={run_id}"):
        (in_group if pgid == group else outside).append(f"{pid} ({name})")
    return in_group, outside
