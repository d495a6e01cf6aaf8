"""A run as Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open.

- counter tracks (`"ph": "C"`) for every sampled series: RSS, swap, the status readings and, where
  recorded, GPU memory;
- the run and each stage as complete events (`"ph": "X"`, `ts` and `dur` in microseconds),
  nested as the stages' tree is (docs/metrics.md), each with its key, path, occurrence and
  parent; the program's stages on one thread, each rank's on one of its own;
- alarms, markers (`m`) and the session's end as instant events (`"ph": "i"`);
- process and thread names as metadata events (`"ph": "M"`).
Timestamps are microseconds since the run started.

Every reading, or, `coarse`, each second's peaks (the rows holding each second's highest values):
a 72-hour run holds 52 million samples, a trace of gigabytes that the Perfetto UI cannot open
and that took minutes to write, while its seconds are 0.5 million. Counter events are written
from a template: a json.dumps a reading was most of the export's time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..analysis.stage_rows import stage_rows, table_order
from ..analysis.stats import stage_windows
from ..store.reader import Run
from ..units import MIB

PID = 1
TID_STAGES = 1
TID_EVENTS = 2
TID_RANKS = 3  # and up: a rank's stages each


def _us(t: float, start: float) -> float:
    return round((t - start) * 1e6, 3)


COARSE_ABOVE_SAMPLES = 2_000_000  # `auto`: about 2.8 hours at 200 Hz, a 150 MB trace


def coarse_export(run: Run, resolution: str) -> bool:
    """Whether an export at `resolution` (raw, 1s, or auto) keeps each second's peaks."""
    return resolution == "1s" or (resolution == "auto" and
                                  run.sample_count() > COARSE_ABOVE_SAMPLES)


def trace_chunks(run: Run, coarse: bool = False) -> Iterator[str]:
    """The trace as JSON text, a piece at a time: readings stream from the file, so exporting
    a days-long run holds one block at a time, not the run."""
    metadata = {"run_id": run.run_id, "memtop": "memtop run export",
                "readings": "each second's peaks" if coarse else "all"}
    yield f'{{"displayTimeUnit": "ms", "metadata": {json.dumps(metadata)}, "traceEvents": [\n'
    yield from _named(run)
    yield from _counters(run, coarse)
    for event in _spans(run):
        yield ",\n" + json.dumps(event)
    yield "\n]}\n"


def _counters(run: Run, coarse: bool) -> Iterator[str]:
    """Counter events, a block of text a block of readings."""
    start = run.start
    readings = run.iter_coarse if coarse else run.iter_readings

    def lines(name: str, column: int, rows: list[tuple]) -> list[str]:
        head = ',\n{"ph": "C", "name": ' + json.dumps(name) + ', "pid": 1, "tid": 0, "ts": '
        return [f'{head}{round((row[0] - start) * 1e6, 3)!r}, "args": {{"MiB": '
                f'{round(row[column] / MIB, 3)!r}}}}}' for row in rows if row[column] is not None]

    for table, series in (("samples", (("RSS", 1), ("RSS highest since the last reading", 2))),
                          ("proc", (("swap", 3), ("RssAnon", 4), ("RssFile", 5),
                                    ("VmHWM since its last reset", 2))),
                          ("gpu", (("GPU memory (session)", 1), ("GPU memory (device)", 2)))):
        rows: list[tuple] = []
        for row in readings(table):
            rows.append(row)
            if len(rows) == 10_000:
                for name, column in series:
                    yield "".join(lines(name, column, rows))
                rows = []
        for name, column in series:
            yield "".join(lines(name, column, rows))


def _named(run: Run) -> Iterator[str]:
    meta = run.meta
    name = f"memtop {meta.get('backend') or meta.get('kind', 'run')} {meta.get('model', '')}"
    yield json.dumps({"ph": "M", "name": "process_name", "pid": PID, "tid": 0,
                      "args": {"name": name}})
    workers = dict.fromkeys(s["worker"] for s in run.stages if isinstance(s.get("worker"), str))
    threads = [(TID_STAGES, "stages"), (TID_EVENTS, "events and markers"),
               *((TID_RANKS + i, f"{worker} stages") for i, worker in enumerate(workers))]
    for tid, thread in threads:
        yield ",\n" + json.dumps({"ph": "M", "name": "thread_name", "pid": PID, "tid": tid,
                                   "args": {"name": thread}})


def _spans(run: Run) -> Iterator[dict[str, Any]]:
    start = run.start
    meta = run.meta
    last = run.last_sample_time()
    end = meta.get("t_end") or max([start, *(s["t_end"] for s in run.stages),
                                    *([last] if last is not None else [])])
    yield {"ph": "X", "name": f"run {run.run_id}", "cat": "run", "pid": PID,
           "tid": TID_STAGES, "ts": 0.0, "dur": max(_us(end, start), 0.0),
           "args": {"status": meta.get("status"), "cause": meta.get("cause")}}
    windows = stage_windows(run.stages, start)
    rows = stage_rows(run.stages)
    # Slices nest as the stages' tree does; each rank's stages on a thread of their own.
    tids = {worker: TID_RANKS + i for i, worker in enumerate(
        dict.fromkeys(row["worker"] for row in rows if row["worker"] is not None))}
    for i in table_order(run.stages):
        row, (begin, stop) = rows[i], windows[i]
        yield {"ph": "X", "name": row["name"], "cat": "stage", "pid": PID,
               "tid": tids.get(row["worker"], TID_STAGES), "ts": _us(begin, start),
               "dur": max(_us(stop, start) - _us(begin, start), 0.0),
               "args": {k: row[k] for k in ("key", "path", "occurrence", "parent", "depth",
                                            "rss_mb", "rss_change_mb", "peak_mb",
                                            "sampled_peak_mb", "swap_mb", "peak_exact")}}
    for event in run.events:
        scope = "p" if event["kind"] == "end" else "t"
        yield {"ph": "i", "s": scope, "name": f"{event['kind']}: {event['message']}",
               "cat": event["level"], "pid": PID, "tid": TID_EVENTS,
               "ts": _us(event["t"], start)}


def samples_csv_chunks(run: Run, coarse: bool = False) -> Iterator[str]:
    yield "t_s,rss_bytes,high_bytes\n"  # high: the highest RSS since the previous row
    start = run.start
    rows = []
    for t, rss, high in (run.iter_coarse if coarse else run.iter_readings)("samples"):
        rows.append(f"{t - start:.6f},{rss},{high}\n")
        if len(rows) == 10_000:
            yield "".join(rows)
            rows = []
    yield "".join(rows)
