"""One run in progress: its session process, sampler, event reader, run file and messages out.

Threads: the sampler and the event reader only append to `self._inbox`; everything else (the
run file, the messages to the client) happens in `pump`, called by the engine's main loop.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .alarms import AlarmWatch, Thresholds
from .allocators import device_env
from .attach import AttachedProcess
from .gpu import GpuSampler, open_nvml
from .leaks import analyze
from .peaks import SampledPeak
from .procfs import ProcessGone, boot_id, read_status, reset_hwm
from .runspec import RunSpec
from .sampler import Sampler
from .session import SPEC_ENV
from .stagepoint import EVENT_FD_ENV
from .stats import rss_statistics
from .store import SCHEMA_VERSION, SUFFIX, RunWriter
from .summary import summarize

KILL_GRACE_S = 3.0
LOG_TAIL_BYTES = 256 * 1024
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the session, before exec: SIGKILL when the engine's thread that started it dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def make_run_id(spec: RunSpec) -> str:
    name = os.path.basename(os.path.normpath(spec.model)) or "model"
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    kind = spec.backend if spec.kind == "bench" else spec.kind
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{name}-{secrets.token_hex(2)}"


class LiveRun:
    def __init__(self, spec: RunSpec, send: Callable[[dict[str, Any]], None]) -> None:
        self.spec = spec
        self.send = send
        self.run_id = make_run_id(spec)
        self.path = os.path.join(spec.runs_dir, self.run_id + SUFFIX)
        self.t_start = time.monotonic()
        self.meta: dict[str, Any] = {
            "run_id": self.run_id, "schema": SCHEMA_VERSION, "spec": spec.to_dict(),
            "backend": spec.backend, "model": spec.model, "weights": spec.weights,
            "label": spec.label, "kind": spec.kind, "command": spec.command,
            "status": "running", "t_start": self.t_start,
            "started_wall": time.time(), "interval_ms": spec.interval_ms,
            "engine_host": socket.gethostname(), "boot_id": boot_id(),
        }
        self.writer = RunWriter(self.path, self.meta)
        self.stages: list[dict[str, Any]] = []
        self.iterations: list[dict[str, Any]] = []
        self.error: dict[str, Any] | None = None
        self.done = False
        self.stop_requested_at: float | None = None
        self._exited_at: float | None = None
        self._external_reset_ok = True
        self.max_swap = 0
        self.max_rss = 0
        self._inbox: deque = deque()
        self._events_closed = threading.Event()
        self._peaks = SampledPeak()
        self._alarms = AlarmWatch(Thresholds(**spec.alarms))
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in finalize)
        self.process: subprocess.Popen | AttachedProcess
        if spec.attach_pid:
            self.process = AttachedProcess(spec.attach_pid)
            self._events_closed.set()  # it was not started with memtop's event pipe
        else:
            self.process = self._start_session()
        self.meta["pid"] = self.process.pid
        self.writer.set_meta({"pid": self.process.pid})
        self.sampler = Sampler(self.process.pid, spec.interval_ms / 1000, self._inbox)
        self.sampler.start()
        self.gpu_sampler = self._start_gpu_sampler()
        self.send({"type": "started", "run": self.run_id, "path": self.path,
                   "pid": self.process.pid, "t": self.t_start, "meta": self.meta})

    @property
    def attached(self) -> bool:
        """Watching a process memtop did not start: never signalled, only let go."""
        return self.spec.attach_pid is not None

    def _start_gpu_sampler(self) -> GpuSampler | None:
        if self.spec.device != "gpu":
            return None
        reader = open_nvml()
        self.meta["nvml"] = reader.names if reader else None
        self.writer.set_meta({"nvml": self.meta["nvml"]})
        if reader is None:
            return None
        sampler = GpuSampler(reader, lambda: self.sampler.tree, self._inbox)
        sampler.start()
        return sampler

    def _start_session(self) -> subprocess.Popen:
        read_fd, write_fd = os.pipe()
        env = dict(os.environ)
        env.update({SPEC_ENV: json.dumps(self.spec.to_dict()), EVENT_FD_ENV: str(write_fd),
                    "PYTHONUNBUFFERED": "1"})
        if self.spec.backend:
            env["KERAS_BACKEND"] = self.spec.backend
            env.update(device_env(self.spec.device))
        env.update(self.spec.env)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        argv = self.spec.command or [sys.executable, "-m", f"{__package__}.session"]
        try:
            process = subprocess.Popen(
                argv, env=env,
                pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        threading.Thread(target=self._read_events, args=(read_fd,), daemon=True,
                         name=f"events-{self.run_id}").start()
        return process

    def _read_events(self, fd: int) -> None:
        with os.fdopen(fd, "rb") as stream:
            for line in stream:
                try:
                    self._inbox.append(("event", json.loads(line)))
                except ValueError:
                    continue
        self._events_closed.set()

    # ---- the main loop's side -------------------------------------------------------------

    def pump(self, now: float) -> None:
        """Moves what the threads gathered into the run file and out to the client."""
        times: list[float] = []
        values: list[int] = []
        while self._inbox:
            kind, payload, *rest = self._inbox.popleft()
            if kind == "sample":
                t0, t1, total, main = payload
                self._peaks.add(t0, t1, main)
                times.append(t1)
                values.append(total)
            elif kind == "proc":
                self._on_proc(payload)
            elif kind == "system":
                self._on_system(payload, rest[0] if rest else None)
            elif kind == "event":
                self._on_event(payload)
            elif kind == "gpu":
                self.writer.add_gpu([payload])
                t, used, device_used, device_total = payload
                self.send({"type": "gpu", "run": self.run_id, "t": t, "used": used,
                           "device_used": device_used, "device_total": device_total})
        if times:
            self.max_rss = max(self.max_rss, *values)
            self.writer.add_samples(list(zip(times, values, strict=True)))
            self.send({"type": "samples", "run": self.run_id, "t": times, "rss": values})
        self.writer.maybe_commit(now)

    def _on_proc(self, row: tuple) -> None:
        self.writer.add_proc([row])
        t, rss, hwm, swap, anon, file, nproc = row
        self.max_swap = max(self.max_swap, swap)
        self.send({"type": "proc", "run": self.run_id, "t": t, "rss": rss, "hwm": hwm,
                   "swap": swap, "anon": anon, "file": file, "nproc": nproc})
        for alarm in self._alarms.on_proc(t, swap):
            self._alarm(alarm)

    def _on_system(self, row: tuple, oom_kills: int | None) -> None:
        self.writer.add_system([row])
        t, available, swap_total, swap_free, psi_some, psi_full, cg_usage, cg_limit = row
        self.send({"type": "system", "run": self.run_id, "t": t, "mem_available": available,
                   "swap_total": swap_total, "swap_free": swap_free, "psi_some": psi_some,
                   "psi_full": psi_full, "cgroup_usage": cg_usage, "cgroup_limit": cg_limit})
        for alarm in self._alarms.on_system(t, psi_some, cg_usage, cg_limit):
            self._alarm(alarm)

    def _alarm(self, alarm: dict[str, Any]) -> None:
        self.writer.add_event(alarm["t"], alarm["kind"], alarm["level"], alarm["message"])
        self.send({"type": "alarm", "run": self.run_id, **alarm})

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "begin":
            self._peaks.open_block(event["id"], event["t_end"])
        elif kind == "stage":
            event["sampled_peak"] = self._peaks.close_stage(event["t"], event["t_end"],
                                                            event.get("block"))
            event.pop("type")
            self.stages.append(event)
            self.writer.add_stage(len(self.stages), event)
            self.send({"type": "stage", "run": self.run_id, "stage": event})
        elif kind == "iteration":
            self.iterations.append(event)
            self.writer.add_event(event["t"], "iteration", "info", f"iteration {event['i']}",
                                  event)
            self.send({"type": "iteration", "run": self.run_id, "iteration": event})
        elif kind == "meta":
            self.meta.update(event["meta"])
            self.writer.set_meta(event["meta"])
            self.send({"type": "meta", "run": self.run_id, "meta": event["meta"]})
        elif kind == "error":
            self.error = event
            self.writer.add_event(time.monotonic(), "error", "error", event["message"],
                                  {"traceback": event.get("traceback")})
        elif kind == "done":
            self.done = True

    # ---- ending ----------------------------------------------------------------------------

    def external_mark(self, name: str) -> None:
        """A marker from outside (a key in the TUI). An attached process has no markers of its
        own, so its peak is reset here too and stays exact; another session's own markers would
        lose their exactness to a reset, so there the stage takes the sampled peak."""
        pid = self.process.pid
        try:
            t = time.monotonic()
            status = read_status(pid)
        except ProcessGone:
            return
        reset = self.attached and reset_hwm(pid)
        exact = self.attached and self._external_reset_ok
        self._external_reset_ok = reset
        self._on_event({"type": "stage", "name": name, "t": t, "t_end": time.monotonic(),
                        "wall": time.time(), "rss": status.rss, "swap": status.swap,
                        "peak": max(status.hwm, status.rss), "peak_exact": exact,
                        "manual": True})

    def request_stop(self) -> None:
        if self.stop_requested_at is None and self.process.poll() is None:
            self.stop_requested_at = time.monotonic()
            self._signal(signal.SIGTERM)

    def enforce_stop(self, now: float) -> None:
        if self.stop_requested_at is not None and now - self.stop_requested_at > KILL_GRACE_S:
            self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        if self.attached:
            return  # never signal a process memtop only watches
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def finished(self) -> bool:
        if self.attached and self.stop_requested_at is not None:
            return True  # detached
        if self.process.poll() is None:
            return False
        # The events end when every holder of the pipe has closed it; a child the session left
        # behind may hold it open, so the run ends anyway shortly after the session itself.
        if self._exited_at is None:
            self._exited_at = time.monotonic()
        return self._events_closed.is_set() or time.monotonic() - self._exited_at > 2.0

    def finalize(self) -> dict[str, Any]:
        self.sampler.stop()
        self.sampler.join(timeout=2.0)
        if self.gpu_sampler is not None:
            self.gpu_sampler.stop()
            self.gpu_sampler.join(timeout=2.0)
        self._signal(signal.SIGKILL)  # anything the session left behind in its group
        self.pump(time.monotonic())
        log_tail = self._log_tail()
        end = self._outcome(log_tail)
        now = time.monotonic()
        summary = summarize(self.stages, swap_peak=self.max_swap, sampled_max=self.max_rss)
        self.writer.commit()
        analysis = {"stats": rss_statistics(self.writer.samples(), self.stages, self.t_start)}
        if self.iterations:
            analysis["leak"] = analyze(self.iterations)
        self.writer.set_meta(analysis)
        result = {"status": end["status"], "cause": end["cause"], "user_error": end["user_error"],
                  "returncode": self.process.returncode, "t_end": now,
                  "ended_wall": time.time(), "summary": summary, "log_tail": log_tail}
        self.meta.update(result)
        self.writer.set_meta(result)
        self.writer.add_event(now, "end", end["level"], f"{end['status']}: {end['cause']}")
        self.writer.close()
        self._log.close()
        self.send({"type": "finished", "run": self.run_id, "path": self.path,
                   **{k: v for k, v in result.items() if k != "log_tail"}})
        return result

    def _outcome(self, log_tail: str) -> dict[str, Any]:
        rc = self.process.returncode
        if self.stop_requested_at is not None:
            if self.attached:
                return _end("detached", "detached by the user (the process goes on)", "info")
            return _end("killed", "stopped by the user", "warning")
        if isinstance(self.process, AttachedProcess) and not self.process.status_known:
            return _end("done", "exited (its parent collected the exit status first)", "info")
        if rc is not None and rc < 0:
            name = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
            cause = f"killed by {name}"
            if -rc == signal.SIGKILL and self.sampler.oom_killed():
                cause = "killed by the OOM killer (SIGKILL)"
            return _end("killed", cause, "error")
        if self.error is not None:
            return _end("failed", self.error["message"], "error",
                        user_error=bool(self.error.get("user")))
        if rc == 0 and (self.done or self.spec.kind != "bench"):
            return _end("done", "completed" if self.done else "exited with status 0", "info")
        if self.attached:
            return _end("failed", f"exited with status {rc}", "error")
        tail = log_tail.strip().splitlines()
        return _end("failed", f"exit code {rc}" + (f": {tail[-1]}" if tail else ""), "error")

    def _log_tail(self) -> str:
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - LOG_TAIL_BYTES))
            return self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""


def _end(status: str, cause: str, level: str, user_error: bool = False) -> dict[str, Any]:
    return {"status": status, "cause": cause, "level": level, "user_error": user_error}
