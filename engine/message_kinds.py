"""Every message's shape, one TypedDict per kind: the fields a kind carries, their types, and (its
docstring) what it says. engine/messages.py derives its field lists and docs/architecture.md's
table from these, and its constructors return them, so mypy checks what the engine sends and
what views read (`make lint`). A message that arrives is checked before it is acted on
(monitor/requests.py, messages.decode); these types say what a checked one holds."""

from __future__ import annotations

from typing import Any, Literal, TypedDict, get_args, get_type_hints

# ---- engine -> client ----------------------------------------------------------------------


class Queued(TypedDict):
    """a run was accepted; `spec` is its RunSpec as a map"""
    type: Literal["queued"]
    id: str | None
    spec: dict[str, Any]


class Cancelled(TypedDict):
    """a queued run was dropped before it started"""
    type: Literal["cancelled"]
    id: str | None
    spec: dict[str, Any]


class Started(TypedDict):
    """its session began; `run` names it from now on, `path` is its run file"""
    type: Literal["started"]
    id: str | None
    run: str
    path: str
    pid: int | None
    t: float
    meta: dict[str, Any]


class Samples(TypedDict):
    """RSS of the process tree, batched: lists of equal length; `high` is each reading's
    highest RSS since the one before (each process's exact maximum, summed; `rss` where the
    run has point samples)"""
    type: Literal["samples"]
    run: str
    t: list[float]
    rss: list[int]
    high: list[int]


class Proc(TypedDict):
    """/proc/PID/status of the tree, about 10 a second"""
    type: Literal["proc"]
    run: str
    t: float
    rss: int
    hwm: int
    swap: int
    anon: int | None
    file: int | None
    nproc: int


class System(TypedDict):
    """memory of the machine and the cgroup, twice a second"""
    type: Literal["system"]
    run: str
    t: float
    mem_available: int | None
    swap_total: int | None
    swap_free: int | None
    psi_some: float | None
    psi_full: float | None
    cgroup_usage: int | None
    cgroup_limit: int | None


class Gpu(TypedDict):
    """NVML: the tree's GPU memory and the devices' (with a GPU)"""
    type: Literal["gpu"]
    run: str
    t: float
    used: int | None
    device_used: int | None
    device_total: int | None


class Workers(TypedDict):
    """each process of a tree of several, once a second: pid, name (its rank, else pid and
    command), RSS, peak; live only (the run file keeps each one's peak at the end, and ranks'
    stages)"""
    type: Literal["workers"]
    run: str
    t: float
    workers: list[dict[str, Any]]


class Begin(TypedDict):
    """a memtop.stage() block opened: its id, name and t"""
    type: Literal["begin"]
    run: str
    block: dict[str, Any]


class Stage(TypedDict):
    """a stage ended: its figures (see docs/metrics.md)"""
    type: Literal["stage"]
    run: str
    stage: dict[str, Any]


class Iteration(TypedDict):
    """one leak-test iteration: RSS after a collection"""
    type: Literal["iteration"]
    run: str
    iteration: dict[str, Any]


class Marker(TypedDict):
    """an instant marked from outside the program (`m`, a line of output): name, t, rss, swap;
    never a stage"""
    type: Literal["marker"]
    run: str
    marker: dict[str, Any]


class Meta(TypedDict):
    """facts learnt while it runs: versions, weights, frameworks"""
    type: Literal["meta"]
    run: str
    meta: dict[str, Any]


class Output(TypedDict):
    """what the program wrote: stream 1 (stdout) or 2 (stderr), bytes as they came"""
    type: Literal["output"]
    run: str
    t: float
    stream: int
    data: bytes


class Alarm(TypedDict):
    """swap, pressure or a nearly full cgroup began"""
    type: Literal["alarm"]
    run: str
    t: float
    kind: str
    level: str
    message: str


class Finished(TypedDict):
    """the run ended; `run` is None if it never started"""
    type: Literal["finished"]
    id: str | None
    run: str | None
    path: str | None
    status: str | None
    cause: str | None
    user_error: bool
    returncode: int | None
    t_end: float | None
    summary: dict[str, Any] | None


class Idle(TypedDict):
    """the queue is empty and no run is going"""
    type: Literal["idle"]


class Gap(TypedDict):
    """this client fell behind (it did not read): the run's readings and output from t0 to t1
    were not sent; they are in its run file, where the engine client reads them before going
    on"""
    type: Literal["gap"]
    run: str
    t0: float
    t1: float


class Refused(TypedDict):
    """a client's message was not valid (its kind, a field, its framing): nothing was done;
    after broken framing the connection is closed"""
    type: Literal["refused"]
    request: str
    message: str


class Fatal(TypedDict):
    """the engine failed; its runs were stopped and closed"""
    type: Literal["fatal"]
    message: str


class Exited(TypedDict):
    """the engine is gone: the last message of every stream"""
    type: Literal["exited"]


class Batch(TypedDict):
    """the messages of one turn of the engine's loop, sent in one write (a tenth of a second:
    each write wakes every client); the engine client hands them on one by one"""
    type: Literal["batch"]
    messages: list[Any]


class Engine(TypedDict):
    """the engine itself, first on every connection and as the answer to `attach` and `info`:
    `runs` lists each run started (id, run, path, status), `queued` the specs waiting; the
    engine client keeps it and does not pass it on"""
    type: Literal["engine"]
    pid: int
    started_wall: float
    socket: str | None
    clients: int
    runs: list[dict[str, Any]]
    queued: list[dict[str, Any]]


# ---- client -> engine ----------------------------------------------------------------------


class Submit(TypedDict):
    """run these specs, `parallel` at a time; with `stdin`, the client's stdin follows as a
    passed descriptor"""
    type: Literal["submit"]
    runs: list[dict[str, Any]]
    parallel: int
    stdin: bool


class Stop(TypedDict):
    """stop every run and drop the queue; the engine exits when they are closed. `why`
    (STOP_REASONS) becomes each run's cause"""
    type: Literal["stop"]
    why: str


class Mark(TypedDict):
    """a marker set from outside (a key in the TUI): see `marker`"""
    type: Literal["mark"]
    run: str
    name: str


class Attach(TypedDict):
    """send `engine` now, then every message from here on (a client that came through the
    engine's socket)"""
    type: Literal["attach"]


class Detach(TypedDict):
    """this client goes and leaves the runs running: its leaving stops nothing"""
    type: Literal["detach"]


class Info(TypedDict):
    """send `engine` once (for `memtop ps`); nothing more"""
    type: Literal["info"]


class Pace(TypedDict):
    """send this client readings (samples, proc, system, gpu) at most every `every_s` seconds
    (up to 5), everything else as it comes: a client that shows no chart need not wake ten
    times a second"""
    type: Literal["pace"]
    every_s: float


ENGINE_KINDS: tuple[type, ...] = (
    Queued, Cancelled, Started, Samples, Proc, System, Gpu, Workers, Begin, Stage, Iteration,
    Marker, Meta, Output, Alarm, Finished, Idle, Gap, Refused, Fatal, Exited, Batch, Engine)
CLIENT_KINDS: tuple[type, ...] = (Submit, Stop, Mark, Attach, Detach, Info, Pace)


def kind_of(shape: type) -> str:
    """The `type` a TypedDict's messages carry (its Literal)."""
    kind: str = get_args(get_type_hints(shape)["type"])[0]
    return kind


def fields_of(shape: type, besides: tuple[str, ...] = ("type",)) -> tuple[str, ...]:
    """A kind's fields in their order (the run file's columns for readings)."""
    return tuple(key for key in shape.__annotations__ if key not in besides)


def says(shape: type) -> str:
    """What a kind says: its docstring on one line."""
    return " ".join((shape.__doc__ or "").split())
