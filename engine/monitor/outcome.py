"""How a run ended, in words: done, failed (and why), killed (by whom), or detached."""

from __future__ import annotations

import signal
import time
from typing import Any

from ..messages import STOP_REASONS, USER_STOP


def end(status: str, cause: str, level: str, user_error: bool = False) -> dict[str, Any]:
    return {"status": status, "cause": cause, "level": level, "user_error": user_error}


def classify(*, returncode: int | None, stop_requested: bool, attached: bool,
             status_known: bool, error: dict[str, Any] | None, done: bool, kind: str,
             oom_killed: bool, stop_reason: str = "user") -> dict[str, Any]:
    """The end of a run from what is known once its session is gone."""
    rc = returncode
    if stop_requested:
        if attached:
            return end("detached", "detached by the user (the process goes on)", "info")
        # A stop the user asked for is no error; a closed terminal is said as such.
        return end("killed", STOP_REASONS.get(stop_reason, USER_STOP),
                   "info" if stop_reason == "user" else "warning")
    if attached and not status_known:
        return end("done", "exited (its parent collected the exit status first)", "info")
    if rc is not None and rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
        cause = f"killed by {name}"
        if -rc == signal.SIGKILL and oom_killed:
            cause = "killed by the OOM killer (SIGKILL)"
        return end("killed", cause, "error")
    if error is not None:
        return end("failed", str(error.get("message", "")), "error",
                   user_error=bool(error.get("user")))
    if rc == 0 and (done or kind != "bench"):
        return end("done", "completed" if done else "exited with status 0", "info")
    if attached:
        return end("failed", f"exited with status {rc}", "error")
    return end("failed", f"exit code {rc}", "error")  # its last output is kept apart


def with_losses(result: dict[str, Any], sampler_error: str | None,
                storage_error: str | None) -> dict[str, Any]:
    """A run whose program ended well but whose measuring did not is failed, and says why."""
    if result["status"] not in ("done", "failed"):
        return result
    if storage_error:
        return end("failed", f"{result['cause']}; but the run file could not be written "
                             f"({storage_error}): readings after that were lost", "error")
    if sampler_error and result["status"] == "done":
        return end("failed", f"the program ended ({result['cause']}), but memtop's sampler "
                             f"had stopped: {sampler_error}", "error")
    return result


def with_leftovers(result: dict[str, Any], killed: list[str],
                   left: list[str]) -> dict[str, Any]:
    """Says what the program left behind: processes memtop ended with its process group, and
    processes that left the group (daemons), which go on."""
    notes = []
    if killed:
        notes.append(f"memtop ended {len(killed)} process(es) the program left in its group: "
                     + ", ".join(killed[:5]))
    if left:
        notes.append(f"still running after the program: PID {', '.join(left[:5])}")
    if not notes:
        return result
    return {**result, "cause": f"{result['cause']}; " + "; ".join(notes),
            "left_running": left, "ended_at_end": killed}


def last_line(output: str) -> str | None:
    """The program's last line of output: kept beside the cause, never as it."""
    lines = output.strip().splitlines()
    return lines[-1] if lines else None


def stored_end(result: dict[str, Any], returncode: int | None, t_end: float,
               tail: str) -> dict[str, Any]:
    """What the run file keeps of the end: how, when, and the program's last words."""
    return {"status": result["status"], "cause": result["cause"],
            "user_error": result["user_error"], "returncode": returncode,
            "t_end": t_end, "ended_wall": time.time(), "log_tail": tail,
            "last_output": last_line(tail),
            **{k: result[k] for k in ("left_running", "ended_at_end") if k in result}}


def run_ending(run: Any) -> dict[str, Any]:
    """How a live run (monitor/live_run.py) ended: its process, a stop asked, its session's
    words, and what measuring lost."""
    try:
        result = classify(
            returncode=run.process.returncode,
            stop_requested=run.stop_requested_at is not None, attached=run.attached,
            status_known=getattr(run.process, "status_known", True),
            error=run.error, done=run.done, kind=run.spec.kind,
            oom_killed=run.sampler.oom_killed(), stop_reason=run.stop_reason)
    except Exception as exc:  # never lose the run file over a classification
        return end("failed", f"could not tell how the run ended ({exc})", "error")
    return with_losses(result, run.sampler_error, run.writer.failed)


def sampler_alarm(problem: str) -> dict[str, Any]:
    """Measuring stopped (the program goes on): said once, as an alarm, and in the run file."""
    return {"t": time.monotonic(), "kind": "sampler", "level": "error",
            "message": f"memtop's sampler stopped ({problem}): no readings from here on"}
