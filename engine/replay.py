"""A run file turned back into the engine's message stream, so replays use the live code path.

`run_messages` gives (seconds since the run started, message) pairs in time order: the same
`started`, `samples`, `proc`, `system`, `stage`, `meta`, `alarm` and `finished` messages a live
engine sends, with the run's original timestamps inside.
"""

from __future__ import annotations

from typing import Any

from .alarms import AlarmWatch, Thresholds
from .report import run_summary
from .run_state import RunBoard, RunState
from .store import Run

BATCH_S = 0.05  # the live engine sends samples about every 50 ms
_PROC_KEYS = ("t", "rss", "hwm", "swap", "anon", "file", "nproc")
_SYSTEM_KEYS = ("t", "mem_available", "swap_total", "swap_free", "psi_some", "psi_full",
                "cgroup_usage", "cgroup_limit")
ALARM_KINDS = ("swap", "swap_growth", "pressure", "cgroup")


def run_start(run: Run) -> float:
    start = run.meta.get("t_start")
    if start is None:
        samples = run.samples()
        start = samples[0][0] if samples else 0.0
    return float(start)


def opening_messages(run: Run) -> list[dict[str, Any]]:
    meta = run.meta
    spec = {"backend": meta.get("backend", ""), "model": meta.get("model", ""),
            **(meta.get("spec") or {})}
    return [{"type": "queued", "spec": spec},
            {"type": "started", "run": run.run_id, "path": run.path, "pid": meta.get("pid"),
             "t": run_start(run), "meta": meta}]


def run_messages(run: Run, thresholds: Thresholds | None = None
                 ) -> list[tuple[float, dict[str, Any]]]:
    """Alarms are raised again from the recorded readings with `thresholds` (the ones given to
    the replay, not those of the recording), exactly as the live engine raises them."""
    run_id, meta = run.run_id, run.meta
    start = run_start(run)
    out: list[tuple[float, dict[str, Any]]] = [(0.0, m) for m in opening_messages(run)]
    batch_t: list[float] = []
    batch_v: list[int] = []
    for t, rss in run.samples():
        if batch_t and t - batch_t[0] >= BATCH_S:
            out.append((batch_t[-1] - start, _samples(run_id, batch_t, batch_v)))
            batch_t, batch_v = [], []
        batch_t.append(t)
        batch_v.append(rss)
    if batch_t:
        out.append((batch_t[-1] - start, _samples(run_id, batch_t, batch_v)))
    watch = AlarmWatch(thresholds)
    for row in run.proc():
        out.append((row[0] - start, proc_message(run_id, row)))
        out.extend((a["t"] - start, alarm_message(run_id, a))
                   for a in watch.on_proc(row[0], row[3]))
    for row in run.system():
        out.append((row[0] - start, system_message(run_id, row)))
        out.extend((a["t"] - start, alarm_message(run_id, a))
                   for a in watch.on_system(row[0], row[4], row[6], row[7]))
    for t, used, device_used, device_total in run.gpu():
        out.append((t - start, {"type": "gpu", "run": run_id, "t": t, "used": used,
                                "device_used": device_used, "device_total": device_total}))
    for stage in run.stages:
        out.append((stage["t_end"] - start, {"type": "stage", "run": run_id, "stage": stage}))
    for event in run.events:
        if event["kind"] == "iteration" and event["data"]:
            out.append((event["t"] - start, {"type": "iteration", "run": run_id,
                                             "iteration": event["data"]}))
    if meta.get("status", "running") != "running":
        end = meta.get("t_end") or (out[-1][0] + start if out else start)
        out.append((end - start, finished_message(run, end)))
    out.sort(key=lambda pair: pair[0])
    return out


def _samples(run_id: str, times: list[float], values: list[int]) -> dict[str, Any]:
    return {"type": "samples", "run": run_id, "t": times, "rss": values}


def proc_message(run_id: str, row: tuple) -> dict[str, Any]:
    return {"type": "proc", "run": run_id, **dict(zip(_PROC_KEYS, row, strict=True))}


def system_message(run_id: str, row: tuple) -> dict[str, Any]:
    return {"type": "system", "run": run_id, **dict(zip(_SYSTEM_KEYS, row, strict=True))}


def alarm_message(run_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "alarm", "run": run_id, "t": event["t"], "kind": event["kind"],
            "level": event["level"], "message": event["message"]}


def finished_message(run: Run, end: float) -> dict[str, Any]:
    meta = run.meta
    return {"type": "finished", "run": run.run_id, "path": run.path,
            "status": meta.get("status"), "cause": meta.get("cause", ""),
            "user_error": meta.get("user_error", False), "t_end": end,
            "summary": run_summary(run)}


def replayed_state(run: Run, thresholds: Thresholds | None = None) -> RunState:
    """A finished run's whole state, as a live view would hold it at its end."""
    board = RunBoard()
    for _, message in run_messages(run, thresholds):
        board.apply(message)
    return board.runs[0]
