"""Every message between memtop's processes, defined once: kinds, fields, constructors, encoding.

The engine sends these to its clients over Unix sockets; replay (`store.stream.RunStream`) and
follow (`store.follow.BenchFollower`) produce the very same messages from run files, so every
view folds one stream (`client.board.RunBoard.apply`) whatever its source. Messages are plain
maps, encoded with msgpack (never pickle). The row tuples below are also the run file's table
columns (`store.schema`), so a row read back becomes a message by zipping it with its fields.

Runs are named by their spec's `id` until they start (`queued`, `cancelled`, `started`, and a
`finished` without a run), and by their `run` id (the run file's name) from `started` on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import msgpack

from . import message_kinds as k
from .message_kinds import fields_of, kind_of, says

# Any message: each kind's shape is its TypedDict (message_kinds.py), which constructors return;
# code that takes messages of every kind reads them as a map.
Message = Mapping[str, Any]

# Rows of the sampler's readings: message fields and run file columns, in this order.
SAMPLE_FIELDS = ("t", "rss", "high")
PROC_FIELDS = fields_of(k.Proc, ("type", "run"))
SYSTEM_FIELDS = fields_of(k.System, ("type", "run"))
GPU_FIELDS = fields_of(k.Gpu, ("type", "run"))
ALARM_FIELDS = fields_of(k.Alarm, ("type", "run"))
# What a run's end says (also stored in its run file's metadata).
END_FIELDS = fields_of(k.Finished, ("type", "id", "run", "path"))
ALARM_KINDS = ("swap", "swap_growth", "pressure", "cgroup", "sampler", "storage", "rank_drift")

# kind -> (fields besides "type", what it says), from message_kinds.py's TypedDicts.
# docs/architecture.md lists these (checked).
ENGINE_MESSAGES: dict[str, tuple[tuple[str, ...], str]] = {
    kind_of(shape): (fields_of(shape), says(shape)) for shape in k.ENGINE_KINDS}
CLIENT_MESSAGES: dict[str, tuple[tuple[str, ...], str]] = {
    kind_of(shape): (fields_of(shape), says(shape)) for shape in k.CLIENT_KINDS}
# Why runs were stopped -> the cause their files keep. Only a stop the user asked for is no
# error; a terminal that closed or a memtop that was terminated is said as such.
USER_STOP = "stopped by the user"
STOP_REASONS = {"user": USER_STOP,
                "hangup": "stopped: the terminal closed (SIGHUP)",
                "terminated": "stopped: memtop was terminated (SIGTERM)",
                "client gone": "stopped: the memtop that started it went away"}
# Readings: what a paced client may be sent late, gathered.
READING_KINDS = frozenset({"samples", "proc", "system", "gpu"})
# What a client that falls behind is not sent (a `gap` says so): the run file has all of it
# but `workers`, which is live only and sent again each second.
SKIPPABLE_KINDS = READING_KINDS | {"output", "workers"}
PACE_MAX_S = 5.0
# From a session to the engine: JSON lines on the descriptor named by MEMTOP_EVENT_FD, written by
# session.stagepoint (standard library only, so it cannot use this module).
SESSION_EVENTS: dict[str, str] = {
    "begin": "a memtop.stage() block opened (id, name, parent, t, t_end)",
    "stage": "a stage ended: parent, t_start, t, t_end, rss, swap, peak, peak_exact and what "
             "the stage adds",
    "iteration": "one leak-test iteration (i, rss, peak, ...)",
    "meta": "facts about the session (meta)",
    "error": "the session failed (user, message, traceback)",
    "done": "the protocol completed",
}
KINDS = {**ENGINE_MESSAGES, **CLIENT_MESSAGES}


def _row(kind: str, run: str, fields: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    return {"type": kind, "run": run, **dict(zip(fields, row, strict=True))}


# ---- engine -> client ----------------------------------------------------------------------

def queued(spec: dict[str, Any]) -> k.Queued:
    return {"type": "queued", "id": spec.get("id"), "spec": spec}


def cancelled(spec: dict[str, Any]) -> k.Cancelled:
    return {"type": "cancelled", "id": spec.get("id"), "spec": spec}


def started(spec_id: str | None, run: str, path: str, pid: int | None, t: float,
            meta: dict[str, Any]) -> k.Started:
    return {"type": "started", "id": spec_id, "run": run, "path": path, "pid": pid, "t": t,
            "meta": meta}


def samples(run: str, times: list[float], rss: list[int], high: list[int]) -> k.Samples:
    return {"type": "samples", "run": run, "t": times, "rss": rss, "high": high}


def samples_of(run: str, rows: Sequence[Sequence[Any]]) -> k.Samples:
    """A `samples` message from rows of (t, rss, high), as run files keep them."""
    return samples(run, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def proc(run: str, row: Sequence[Any]) -> k.Proc:
    return cast(k.Proc, _row("proc", run, PROC_FIELDS, row))


def system(run: str, row: Sequence[Any]) -> k.System:
    return cast(k.System, _row("system", run, SYSTEM_FIELDS, row))


def gpu(run: str, row: Sequence[Any]) -> k.Gpu:
    return cast(k.Gpu, _row("gpu", run, GPU_FIELDS, row))


def workers(run: str, t: float, rows: list[dict[str, Any]]) -> k.Workers:
    return {"type": "workers", "run": run, "t": t, "workers": rows}


def begin(run: str, block: dict[str, Any]) -> k.Begin:
    return {"type": "begin", "run": run, "block": block}


def stage(run: str, figures: dict[str, Any]) -> k.Stage:
    return {"type": "stage", "run": run, "stage": figures}


def iteration(run: str, figures: dict[str, Any]) -> k.Iteration:
    return {"type": "iteration", "run": run, "iteration": figures}


def marker(run: str, instant: dict[str, Any]) -> k.Marker:
    return {"type": "marker", "run": run, "marker": instant}


def meta(run: str, values: dict[str, Any]) -> k.Meta:
    return {"type": "meta", "run": run, "meta": values}


def output(run: str, t: float, stream: int, data: bytes) -> k.Output:
    return {"type": "output", "run": run, "t": t, "stream": stream, "data": data}


def alarm(run: str, t: float, kind: str, level: str, message: str) -> k.Alarm:
    return cast(k.Alarm, _row("alarm", run, ALARM_FIELDS, (t, kind, level, message)))


def finished(spec_id: str | None, run: str | None, path: str | None,
             end: Mapping[str, Any]) -> k.Finished:
    """`end` holds END_FIELDS (missing ones read as None; `user_error` as False)."""
    values = {key: end.get(key) for key in END_FIELDS}
    values["user_error"] = bool(values["user_error"])
    return cast(k.Finished, {"type": "finished", "id": spec_id, "run": run, "path": path,
                             **values})


def idle() -> k.Idle:
    return {"type": "idle"}


def gap(run: str, t0: float, t1: float) -> k.Gap:
    return {"type": "gap", "run": run, "t0": t0, "t1": t1}


def refused(request: str, message: str) -> k.Refused:
    return {"type": "refused", "request": request, "message": message}


def fatal(message: str) -> k.Fatal:
    return {"type": "fatal", "message": message}


def exited() -> k.Exited:
    return {"type": "exited"}


def engine(pid: int, started_wall: float, socket: str | None, clients: int,
           runs: list[dict[str, Any]], queued: list[dict[str, Any]]) -> k.Engine:
    return {"type": "engine", "pid": pid, "started_wall": started_wall, "socket": socket,
            "clients": clients, "runs": runs, "queued": queued}


# ---- client -> engine ----------------------------------------------------------------------

def submit(specs: Iterable[dict[str, Any]], parallel: int, stdin: bool = False) -> k.Submit:
    return {"type": "submit", "runs": list(specs), "parallel": parallel, "stdin": stdin}


def stop(why: str = "user") -> k.Stop:
    return {"type": "stop", "why": why}


def mark(run: str, name: str) -> k.Mark:
    return {"type": "mark", "run": run, "name": name}


def attach() -> k.Attach:
    return {"type": "attach"}


def detach() -> k.Detach:
    return {"type": "detach"}


def info() -> k.Info:
    return {"type": "info"}


def pace(every_s: float) -> k.Pace:
    return {"type": "pace", "every_s": every_s}


# ---- the wire ------------------------------------------------------------------------------

def encode(message: Message) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def batch(items: Sequence[Message]) -> k.Batch:
    return {"type": "batch", "messages": list(items)}


def unbatched(message: Message) -> list[Message]:
    """A batch's messages (those that are memtop's, and not batches themselves); any other
    message alone."""
    if message["type"] != "batch":
        return [message]
    items = message.get("messages")
    return [m for m in items if isinstance(m, dict) and m.get("type") in KINDS
            and m["type"] != "batch"] if isinstance(items, list) else []


def decode(data: bytes) -> Message:
    """A message from bytes; ValueError for anything that is not one of memtop's kinds."""
    try:
        message = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises several types for bad bytes
        raise ValueError(f"not a memtop message ({type(exc).__name__})") from None
    if not isinstance(message, dict) or message.get("type") not in KINDS:
        raise ValueError("not a memtop message")
    return message


def message_table() -> str:
    """The message list of docs/architecture.md (a test keeps the two equal):
    python -c "from memtop.engine.messages import message_table; print(message_table())"."""
    lines = ["| from → to | kind | fields | what it says |", "|---|---|---|---|"]
    for direction, table in (("engine → client", ENGINE_MESSAGES),
                             ("client → engine", CLIENT_MESSAGES)):
        for kind, (fields, text) in table.items():
            lines.append(f"| {direction} | `{kind}` | {', '.join(fields) or '-'} | {text} |")
    for kind, text in SESSION_EVENTS.items():
        lines.append(f"| session → engine | `{kind}` | (JSON line) | {text} |")
    return "\n".join(lines)
