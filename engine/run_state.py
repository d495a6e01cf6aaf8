"""Live state of every run in a benchmark, folded from the engine's messages (CLI and TUI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .history import MaxEnvelope

HISTORY_BUCKETS = 1024  # per series: a few times the widest sparkline


@dataclass
class RunState:
    backend: str
    model: str
    kind: str = "bench"  # bench, run (a command) or attach (a process memtop did not start)
    status: str = "queued"  # queued, running, done, failed, killed, cancelled, detached
    run_id: str | None = None
    path: str | None = None
    t_start: float | None = None
    t_last: float | None = None
    rss: int | None = None
    sampled_max: int = 0
    hwm: int | None = None
    swap: int = 0
    stage: str | None = None
    weights: str | None = None
    cause: str | None = None
    user_error: bool = False
    summary: dict[str, Any] | None = None
    alarms: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    iterations: list[dict[str, Any]] = field(default_factory=list)
    gpu_used: int | None = None  # bytes the session holds on GPUs (NVML); None: n/a
    gpu_history: MaxEnvelope = field(default_factory=lambda: MaxEnvelope(HISTORY_BUCKETS, 0.1))
    meta: dict[str, Any] = field(default_factory=dict)
    rss_history: MaxEnvelope = field(default_factory=lambda: MaxEnvelope(HISTORY_BUCKETS))
    swap_history: MaxEnvelope = field(default_factory=lambda: MaxEnvelope(HISTORY_BUCKETS, 0.05))
    version: int = 0  # bumped by every change: views redraw only what changed

    @property
    def title_name(self) -> str:
        """What the run is called in lists: its backend, or for other programs its name."""
        return self.backend if self.kind == "bench" else f"{self.kind}: {self.model}"

    @property
    def leak(self) -> dict[str, Any] | None:
        """The leak analysis so far, once iterations have been seen."""
        if not self.iterations:
            return None
        from .leaks import analyze

        return analyze(self.iterations)

    @property
    def foreign(self) -> list[str]:
        return list(self.meta.get("foreign_frameworks") or [])

    @property
    def peak(self) -> int | None:
        """The highest RSS known so far: kernel peaks where known, else the samples'."""
        known = [v for v in (self.hwm, self.sampled_max or None) if v]
        return max(known) if known else None

    @property
    def elapsed(self) -> float:
        if self.t_start is None or self.t_last is None:
            return 0.0
        return self.t_last - self.t_start


class RunBoard:
    """All runs of one submission, in submission order."""

    def __init__(self) -> None:
        self.runs: list[RunState] = []
        self._by_id: dict[str, RunState] = {}
        self.fatal: str | None = None

    def _next_queued(self) -> RunState | None:
        return next((r for r in self.runs if r.status == "queued"), None)

    def apply(self, message: dict[str, Any]) -> RunState | None:
        kind = message["type"]
        if kind == "queued":
            spec = message["spec"]
            kind = "attach" if spec.get("attach_pid") else "run" if spec.get("command") \
                else "bench"
            state = RunState(backend=spec["backend"], model=spec["model"], kind=kind)
            self.runs.append(state)
            return state
        if kind == "idle":
            return None
        if kind == "fatal":
            self.fatal = message["message"]
            return None
        if kind == "cancelled":
            state = self._next_queued()
            if state:
                state.status = "cancelled"
            return state
        if kind == "started":
            state = self._next_queued()
            if state is None:
                return None
            state.status, state.run_id, state.path = "running", message["run"], message["path"]
            state.t_start = state.t_last = message["t"]
            state.meta.update(message.get("meta") or {})
            self._by_id[state.run_id] = state
            return state
        if kind == "finished" and message.get("run") is None:  # a session that never started
            state = self._next_queued()
            if state:
                state.status, state.cause = message["status"], message["cause"]
            return state
        state = self._by_id.get(message.get("run", ""))
        if state is None:
            return None
        state.version += 1
        if kind == "samples":
            state.rss = message["rss"][-1]
            state.sampled_max = max(state.sampled_max, *message["rss"])
            state.t_last = message["t"][-1]
            state.rss_history.extend(message["t"], message["rss"])
        elif kind == "proc":
            state.hwm = message["hwm"] if state.hwm is None else max(state.hwm, message["hwm"])
            state.swap = message["swap"]
            state.swap_history.add(message["t"], message["swap"])
        elif kind == "stage":
            stage = message["stage"]
            state.stages.append(stage)
            state.stage = stage["name"]
            state.hwm = max(state.hwm or 0, stage["peak"])
            state.swap = stage.get("swap", state.swap)
        elif kind == "iteration":
            state.iterations.append(message["iteration"])
        elif kind == "gpu":
            state.gpu_used = message["used"]
            state.gpu_history.add(message["t"], message["used"])
        elif kind == "meta":
            state.meta.update(message["meta"])
            state.weights = message["meta"].get("weights", state.weights)
        elif kind == "alarm":
            state.alarms.append(message)
        elif kind == "finished":
            state.status, state.cause = message["status"], message["cause"]
            state.user_error = message.get("user_error", False)
            state.summary = message.get("summary")
            state.t_last = message.get("t_end", state.t_last)
            if state.status in ("killed", "failed"):
                state.alarms.append({"type": "alarm", "run": state.run_id,
                                     "t": state.t_last, "kind": "end", "level": "error",
                                     "message": f"{state.status}: {state.cause}"})
        return state
