"""A run as Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open.

- counter tracks (`"ph": "C"`) for every sampled series: RSS, swap, the status readings and, where
  recorded, GPU memory;
- the run and each stage as complete events (`"ph": "X"`, `ts` and `dur` in microseconds) on one
  thread, stages nested inside the run;
- alarms and the session's end as instant events (`"ph": "i"`);
- process and thread names as metadata events (`"ph": "M"`).
Timestamps are microseconds since the run started.
"""

from __future__ import annotations

from typing import Any

from ..analysis.stats import stage_windows
from ..analysis.summary import stage_rows
from ..store.reader import Run
from ..units import MIB

PID = 1
TID_STAGES = 1
TID_EVENTS = 2


def _us(t: float, start: float) -> float:
    return round((t - start) * 1e6, 3)


def trace_events(run: Run) -> dict[str, Any]:
    start = run.start
    meta = run.meta
    samples = run.samples()
    name = f"memtop {meta.get('backend') or meta.get('kind', 'run')} {meta.get('model', '')}"
    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": PID, "tid": 0, "args": {"name": name}},
        {"ph": "M", "name": "thread_name", "pid": PID, "tid": TID_STAGES,
         "args": {"name": "stages"}},
        {"ph": "M", "name": "thread_name", "pid": PID, "tid": TID_EVENTS,
         "args": {"name": "events"}},
    ]

    def counter(series: str, t: float, value: float | None) -> None:
        if value is not None:
            events.append({"ph": "C", "name": series, "pid": PID, "tid": 0, "ts": _us(t, start),
                           "args": {"MiB": round(value / MIB, 3)}})

    for t, rss in samples:
        counter("RSS", t, rss)
    for t, _rss, hwm, swap, anon, file, _n in run.proc():
        counter("swap", t, swap)
        counter("RssAnon", t, anon)
        counter("RssFile", t, file)
        counter("VmHWM since last stage", t, hwm)
    for t, used, device_used, _total in run.gpu():
        counter("GPU memory (session)", t, used)
        counter("GPU memory (device)", t, device_used)

    last_sample = [samples[-1][0]] if samples else []
    end = meta.get("t_end") or max([start, *(s["t_end"] for s in run.stages), *last_sample])
    events.append({"ph": "X", "name": f"run {run.run_id}", "cat": "run", "pid": PID,
                   "tid": TID_STAGES, "ts": 0.0, "dur": max(_us(end, start), 0.0),
                   "args": {"status": meta.get("status"), "cause": meta.get("cause")}})
    windows = stage_windows(run.stages, start)
    for stage, row, (begin, stop) in zip(run.stages, stage_rows(run.stages), windows,
                                         strict=True):
        events.append({"ph": "X", "name": stage["name"], "cat": "stage", "pid": PID,
                       "tid": TID_STAGES, "ts": _us(begin, start),
                       "dur": max(_us(stop, start) - _us(begin, start), 0.0),
                       "args": {k: row[k] for k in ("rss_mb", "rss_change_mb", "peak_mb",
                                                    "sampled_peak_mb", "swap_mb", "peak_exact")}})
    for event in run.events:
        scope = "p" if event["kind"] == "end" else "t"
        events.append({"ph": "i", "s": scope, "name": f"{event['kind']}: {event['message']}",
                       "cat": event["level"], "pid": PID, "tid": TID_EVENTS,
                       "ts": _us(event["t"], start)})
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "metadata": {"run_id": run.run_id, "memtop": "memtop run export"}}


def samples_csv(run: Run) -> str:
    lines = ["t_s,rss_bytes"]
    start = run.start
    lines += [f"{t - start:.6f},{rss}" for t, rss in run.samples()]
    return "\n".join(lines) + "\n"
