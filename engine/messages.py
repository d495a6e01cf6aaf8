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

from collections.abc import Iterable, Sequence
from typing import Any

import msgpack

Message = dict[str, Any]

# Rows of the sampler's readings: message fields and run file columns, in this order.
SAMPLE_FIELDS = ("t", "rss")
PROC_FIELDS = ("t", "rss", "hwm", "swap", "anon", "file", "nproc")
SYSTEM_FIELDS = ("t", "mem_available", "swap_total", "swap_free", "psi_some", "psi_full",
                 "cgroup_usage", "cgroup_limit")
GPU_FIELDS = ("t", "used", "device_used", "device_total")
ALARM_FIELDS = ("t", "kind", "level", "message")
# What a run's end says (also stored in its run file's metadata).
END_FIELDS = ("status", "cause", "user_error", "returncode", "t_end", "summary")
ALARM_KINDS = ("swap", "swap_growth", "pressure", "cgroup", "sampler", "storage", "rank_drift")

# kind -> (fields besides "type", what it says). docs/architecture.md lists these (checked).
ENGINE_MESSAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "queued": (("id", "spec"), "a run was accepted; `spec` is its RunSpec as a map"),
    "cancelled": (("id", "spec"), "a queued run was dropped before it started"),
    "started": (("id", "run", "path", "pid", "t", "meta"),
                "its session began; `run` names it from now on, `path` is its run file"),
    "samples": (("run", "t", "rss"), "RSS of the process tree, batched: lists of equal length"),
    "proc": (("run", *PROC_FIELDS), "/proc/PID/status of the tree, about 20 a second"),
    "system": (("run", *SYSTEM_FIELDS), "memory of the machine and the cgroup, twice a second"),
    "gpu": (("run", *GPU_FIELDS), "NVML: the tree's GPU memory and the devices' (with a GPU)"),
    "workers": (("run", "t", "workers"), "each process of a tree of several, once a second: "
                "pid, name (its rank, else pid and command), RSS, peak; live only (the run "
                "file keeps each one's peak at the end, and ranks' stages)"),
    "begin": (("run", "block"), "a memtop.stage() block opened: its id, name and t"),
    "stage": (("run", "stage"), "a stage ended: its figures (see docs/metrics.md)"),
    "iteration": (("run", "iteration"), "one leak-test iteration: RSS after a collection"),
    "marker": (("run", "marker"), "an instant marked from outside the program (`m`, a line "
               "of output): name, t, rss, swap; never a stage"),
    "meta": (("run", "meta"), "facts learnt while it runs: versions, weights, frameworks"),
    "output": (("run", "t", "stream", "data"), "what the program wrote: stream 1 (stdout) or 2 "
               "(stderr), bytes as they came"),
    "alarm": (("run", *ALARM_FIELDS), "swap, pressure or a nearly full cgroup began"),
    "finished": (("id", "run", "path", *END_FIELDS), "the run ended; `run` is None if it "
                 "never started"),
    "idle": ((), "the queue is empty and no run is going"),
    "gap": (("run", "t0", "t1"), "this client fell behind (it did not read): the run's readings "
            "and output from t0 to t1 were not sent; they are in its run file, where the engine "
            "client reads them before going on"),
    "refused": (("request", "message"), "a client's message was not valid (its kind, a field, "
                "its framing): nothing was done; after broken framing the connection is closed"),
    "fatal": (("message",), "the engine failed; its runs were stopped and closed"),
    "exited": ((), "the engine is gone: the last message of every stream"),
    "batch": (("messages",), "the messages of one turn of the engine's loop, sent in one write "
              "(a tenth of a second: each write wakes every client); the engine client hands "
              "them on one by one"),
    "engine": (("pid", "started_wall", "socket", "clients", "runs", "queued"),
               "the engine itself, first on every connection and as the answer to `attach` and "
               "`info`: `runs` lists each run started (id, run, path, status), `queued` the "
               "specs waiting; the engine client keeps it and does not pass it on"),
}
CLIENT_MESSAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("runs", "parallel", "stdin"), "run these specs, `parallel` at a time; with "
               "`stdin`, the client's stdin follows as a passed descriptor"),
    "stop": (("why",), "stop every run and drop the queue; the engine exits when they are "
             "closed. `why` (STOP_REASONS) becomes each run's cause"),
    "mark": (("run", "name"), "a marker set from outside (a key in the TUI): see `marker`"),
    "attach": ((), "send `engine` now, then every message from here on (a client that came "
               "through the engine's socket)"),
    "detach": ((), "this client goes and leaves the runs running: its leaving stops nothing"),
    "info": ((), "send `engine` once (for `memtop ps`); nothing more"),
    "pace": (("every_s",), "send this client readings (samples, proc, system, gpu) at most "
             "every `every_s` seconds (up to 5), everything else as it comes: a client that "
             "shows no chart need not wake ten times a second"),
}
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


def _row(kind: str, run: str, fields: Sequence[str], row: Sequence[Any]) -> Message:
    return {"type": kind, "run": run, **dict(zip(fields, row, strict=True))}


# ---- engine -> client ----------------------------------------------------------------------

def queued(spec: dict[str, Any]) -> Message:
    return {"type": "queued", "id": spec.get("id"), "spec": spec}


def cancelled(spec: dict[str, Any]) -> Message:
    return {"type": "cancelled", "id": spec.get("id"), "spec": spec}


def started(spec_id: str | None, run: str, path: str, pid: int | None, t: float,
            meta: dict[str, Any]) -> Message:
    return {"type": "started", "id": spec_id, "run": run, "path": path, "pid": pid, "t": t,
            "meta": meta}


def samples(run: str, times: list[float], rss: list[int]) -> Message:
    return {"type": "samples", "run": run, "t": times, "rss": rss}


def proc(run: str, row: Sequence[Any]) -> Message:
    return _row("proc", run, PROC_FIELDS, row)


def system(run: str, row: Sequence[Any]) -> Message:
    return _row("system", run, SYSTEM_FIELDS, row)


def gpu(run: str, row: Sequence[Any]) -> Message:
    return _row("gpu", run, GPU_FIELDS, row)


def workers(run: str, t: float, rows: list[dict[str, Any]]) -> Message:
    return {"type": "workers", "run": run, "t": t, "workers": rows}


def begin(run: str, block: dict[str, Any]) -> Message:
    return {"type": "begin", "run": run, "block": block}


def stage(run: str, figures: dict[str, Any]) -> Message:
    return {"type": "stage", "run": run, "stage": figures}


def iteration(run: str, figures: dict[str, Any]) -> Message:
    return {"type": "iteration", "run": run, "iteration": figures}


def marker(run: str, instant: dict[str, Any]) -> Message:
    return {"type": "marker", "run": run, "marker": instant}


def meta(run: str, values: dict[str, Any]) -> Message:
    return {"type": "meta", "run": run, "meta": values}


def output(run: str, t: float, stream: int, data: bytes) -> Message:
    return {"type": "output", "run": run, "t": t, "stream": stream, "data": data}


def alarm(run: str, t: float, kind: str, level: str, message: str) -> Message:
    return _row("alarm", run, ALARM_FIELDS, (t, kind, level, message))


def finished(spec_id: str | None, run: str | None, path: str | None,
             end: dict[str, Any]) -> Message:
    """`end` holds END_FIELDS (missing ones read as None; `user_error` as False)."""
    values = {key: end.get(key) for key in END_FIELDS}
    values["user_error"] = bool(values["user_error"])
    return {"type": "finished", "id": spec_id, "run": run, "path": path, **values}


def idle() -> Message:
    return {"type": "idle"}


def gap(run: str, t0: float, t1: float) -> Message:
    return {"type": "gap", "run": run, "t0": t0, "t1": t1}


def refused(request: str, message: str) -> Message:
    return {"type": "refused", "request": request, "message": message}


def fatal(message: str) -> Message:
    return {"type": "fatal", "message": message}


def exited() -> Message:
    return {"type": "exited"}


def engine(pid: int, started_wall: float, socket: str | None, clients: int,
           runs: list[dict[str, Any]], queued: list[dict[str, Any]]) -> Message:
    return {"type": "engine", "pid": pid, "started_wall": started_wall, "socket": socket,
            "clients": clients, "runs": runs, "queued": queued}


# ---- client -> engine ----------------------------------------------------------------------

def submit(specs: Iterable[dict[str, Any]], parallel: int, stdin: bool = False) -> Message:
    return {"type": "submit", "runs": list(specs), "parallel": parallel, "stdin": stdin}


def stop(why: str = "user") -> Message:
    return {"type": "stop", "why": why}


def mark(run: str, name: str) -> Message:
    return {"type": "mark", "run": run, "name": name}


def attach() -> Message:
    return {"type": "attach"}


def detach() -> Message:
    return {"type": "detach"}


def info() -> Message:
    return {"type": "info"}


def pace(every_s: float) -> Message:
    return {"type": "pace", "every_s": every_s}


# ---- the wire ------------------------------------------------------------------------------

def encode(message: Message) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def batch(items: list[Message]) -> Message:
    return {"type": "batch", "messages": items}


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
