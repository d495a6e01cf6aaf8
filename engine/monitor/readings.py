"""What the engine's threads hand a live run (`LiveRun.pump` takes them from its inbox, a deque
that only they append to): one NamedTuple per kind, so the pump dispatches on the type and no
reading is a string-tagged tuple. Readings that become rows of a run file (`ProcReading`,
`SystemReading`, `GpuReading`) are those rows, in messages.py's field order."""

from __future__ import annotations

from typing import NamedTuple


class Sample(NamedTuple):
    """The tree's RSS, read from t0 to t1 (`main`: the root process's own), and the highest
    since the previous reading, which began at `since`: the root's exact maximum (`main_high`),
    and the tree's (`high`: the sum of its processes' maxima, an upper bound where they peak
    apart). A point sample (the mark may not be reset) is its own maximum, since t0."""
    t0: float
    t1: float
    total: int
    main: int
    high: int
    main_high: int
    since: float


class ProcReading(NamedTuple):  # messages.PROC_FIELDS
    t: float
    rss: int
    hwm: int
    swap: int
    anon: int
    file: int
    nproc: int


class SystemReading(NamedTuple):  # messages.SYSTEM_FIELDS
    t: float
    mem_available: int
    swap_total: int
    swap_free: int
    psi_some: float | None
    psi_full: float | None
    cgroup_usage: int | None
    cgroup_limit: int | None


class GpuReading(NamedTuple):  # messages.GPU_FIELDS
    t: float
    used: int | None
    device_used: int | None
    device_total: int | None


class WorkersReading(NamedTuple):
    """Each process of the tree: (pid, RSS, peak)."""
    t: float
    each: list[tuple[int, int, int]]


class OutputChunk(NamedTuple):
    """What the program wrote on `stream` (1 or 2), as it came."""
    t: float
    stream: int
    data: bytes


class SamplerError(NamedTuple):
    """The sampler stopped on an error (the program goes on; the run ends failed)."""
    message: str


Reading = (Sample | ProcReading | SystemReading | GpuReading | WorkersReading | OutputChunk |
           SamplerError)
