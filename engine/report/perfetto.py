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

import json
from collections.abc import Iterator
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


def trace_chunks(run: Run) -> Iterator[str]:
    """The trace as JSON text, a piece at a time: readings stream from the file, so exporting
    a days-long run holds one row at a time, not the run."""
    metadata = {"run_id": run.run_id, "memtop": "memtop run export"}
    yield f'{{"displayTimeUnit": "ms", "metadata": {json.dumps(metadata)}, "traceEvents": [\n'
    separator = ""
    for event in _events(run):
        yield separator + json.dumps(event)
        separator = ",\n"
    yield "\n]}\n"


def _events(run: Run) -> Iterator[dict[str, Any]]:
    start = run.start
    meta = run.meta
    name = f"memtop {meta.get('backend') or meta.get('kind', 'run')} {meta.get('model', '')}"
    yield {"ph": "M", "name": "process_name", "pid": PID, "tid": 0, "args": {"name": name}}
    yield {"ph": "M", "name": "thread_name", "pid": PID, "tid": TID_STAGES,
           "args": {"name": "stages"}}
    yield {"ph": "M", "name": "thread_name", "pid": PID, "tid": TID_EVENTS,
           "args": {"name": "events"}}

    def counter(series: str, t: float, value: float | None) -> Iterator[dict[str, Any]]:
        if value is not None:
            yield {"ph": "C", "name": series, "pid": PID, "tid": 0, "ts": _us(t, start),
                   "args": {"MiB": round(value / MIB, 3)}}

    for t, rss in run.iter_readings("samples"):
        yield from counter("RSS", t, rss)
    for t, _rss, hwm, swap, anon, file, _n in run.iter_readings("proc"):
        yield from counter("swap", t, swap)
        yield from counter("RssAnon", t, anon)
        yield from counter("RssFile", t, file)
        yield from counter("VmHWM since last stage", t, hwm)
    for t, used, device_used, _total in run.iter_readings("gpu"):
        yield from counter("GPU memory (session)", t, used)
        yield from counter("GPU memory (device)", t, device_used)

    last = run.last_sample_time()
    end = meta.get("t_end") or max([start, *(s["t_end"] for s in run.stages),
                                    *([last] if last is not None else [])])
    yield {"ph": "X", "name": f"run {run.run_id}", "cat": "run", "pid": PID,
           "tid": TID_STAGES, "ts": 0.0, "dur": max(_us(end, start), 0.0),
           "args": {"status": meta.get("status"), "cause": meta.get("cause")}}
    windows = stage_windows(run.stages, start)
    for stage, row, (begin, stop) in zip(run.stages, stage_rows(run.stages), windows,
                                         strict=True):
        yield {"ph": "X", "name": stage["name"], "cat": "stage", "pid": PID,
               "tid": TID_STAGES, "ts": _us(begin, start),
               "dur": max(_us(stop, start) - _us(begin, start), 0.0),
               "args": {k: row[k] for k in ("rss_mb", "rss_change_mb", "peak_mb",
                                            "sampled_peak_mb", "swap_mb", "peak_exact")}}
    for event in run.events:
        scope = "p" if event["kind"] == "end" else "t"
        yield {"ph": "i", "s": scope, "name": f"{event['kind']}: {event['message']}",
               "cat": event["level"], "pid": PID, "tid": TID_EVENTS,
               "ts": _us(event["t"], start)}


def samples_csv_chunks(run: Run) -> Iterator[str]:
    yield "t_s,rss_bytes\n"
    start = run.start
    for t, rss in run.iter_readings("samples"):
        yield f"{t - start:.6f},{rss}\n"
