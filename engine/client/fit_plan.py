"""One `memtop fit` from its request to its run file, whoever runs the trials: the headless CLI
runs each with `run_headless`, the dashboard submits each to its engine (tui/sources.py
FitSource). The plan says which trial comes next, judges each from its run file, and stores the
fit as a run file of kind `fit`. Trials run one at a time, backend after backend: the timings and
the machine's free memory stay those of one session."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..sizing.line import fit_line
from ..sizing.search import SizeSearch
from ..spec import RunSpec
from ..store import SUFFIX, RunWriter, new_run_id
from ..units import MIB, fmt

# What a failed trial says when memory ran out inside the framework (not an OOM kill).
OUT_OF_MEMORY = ("MemoryError", "RESOURCE_EXHAUSTED", "out of memory", "bad_alloc",
                 "Cannot allocate memory", "OOM")
STOPPED = "stopped before its answer was known"


@dataclass(frozen=True)
class FitRequest:
    """What `memtop fit` was asked (the CLI's options, checked)."""

    model: str
    backends: tuple[str, ...]
    budget: int  # bytes
    axis: str = "batch"  # or "sequence"
    mode: str = "inference"
    predict: tuple[int, ...] = ()
    max_size: int = 4096
    weights: str = "auto"
    dtype: str = "float32"
    task: str = "auto"
    max_length: int = 10
    sequence_length: int = 128
    isolate: bool = False
    runs_dir: str = "runs"
    label: str = ""


@dataclass
class Trial:
    size: int
    fits: bool
    peak_mib: float | None
    verdict: str  # "fits", "does not fit (OOM)", "does not fit (peak 3,120 MiB)", ...
    run_id: str
    limit: str | None  # the cgroup limit it ran under ("cgroup v1 memory limit"), if any


def judge(run: Any, size: int, budget: int) -> tuple[Trial, str | None]:
    """A trial's verdict from its run file; and a reason to stop the search when the run failed
    for something other than memory (a model the backend cannot run)."""
    meta, summary = run.meta, run.summary()
    peak = summary.get("peak_mb")
    limit = (meta.get("memory_limit") or {}).get("method")
    status, cause = meta.get("status"), str(meta.get("cause") or "")

    def trial(fits: bool, verdict: str) -> Trial:
        return Trial(size, fits, peak, verdict, run.run_id, limit)

    if status == "killed" and "OOM" in cause:
        return trial(False, "does not fit (OOM)"), None
    if status == "done":
        if peak is not None and peak * MIB <= budget:
            return trial(True, "fits"), None
        return trial(False, f"does not fit (peak {fmt(peak, ',.0f')} MiB)"), None
    if any(word in cause for word in OUT_OF_MEMORY):
        return trial(False, "does not fit (out of memory)"), None
    return trial(False, f"{status}: {cause}"), cause or str(status)


@dataclass
class BackendFit:
    """One backend's search: its trials so far, and why it stopped early (if it did)."""

    backend: str
    search: SizeSearch
    trials: list[Trial] = field(default_factory=list)
    stopped: str | None = None
    done: bool = False

    def result(self) -> dict[str, Any]:
        ran = [(t.size, t.peak_mib) for t in self.trials if t.peak_mib is not None and
               (t.fits or t.verdict.startswith("does not fit (peak"))]
        line = fit_line(ran)
        best = self.search.best
        return {"backend": self.backend, "largest": best, "stopped": self.stopped,
                "peak_mib": next((t.peak_mib for t in self.trials if t.size == best), None),
                "line": asdict(line) if line else None,
                "trials": [asdict(t) for t in self.trials]}


class FitPlan:
    """The searches of every backend, one trial at a time. Thread-safe: the dashboard draws
    `backends` while the source's reader thread records trials."""

    def __init__(self, request: FitRequest) -> None:
        self.request = request
        self.backends = [BackendFit(b, SizeSearch(largest=request.max_size))
                         for b in request.backends]
        self.started = time.time()
        self.version = 0  # grows with every trial recorded: the dashboard repaints
        self._lock = threading.Lock()
        self._pending: tuple[BackendFit, int] | None = None

    @property
    def current(self) -> BackendFit | None:
        return next((b for b in self.backends if not b.done), None)

    @property
    def finished(self) -> bool:
        return self.current is None

    def next_spec(self) -> RunSpec | None:
        """The next trial's session (None: every backend's answer is known)."""
        with self._lock:
            while (backend := self.current) is not None:
                size = backend.search.next_size()
                if size is not None:
                    self._pending = (backend, size)
                    return self._spec(backend.backend, size)
                backend.done = True
            return None

    def _spec(self, backend: str, size: int) -> RunSpec:
        r = self.request
        batch, sequence, length = size, r.sequence_length, r.max_length
        if r.axis == "sequence":  # the prompt's tokens (and the generated ones) grow
            batch, sequence, length = 1, size, size
        return RunSpec(backend=backend, model=r.model, weights=r.weights, dtype=r.dtype,
                       task=r.task, mode=r.mode, isolate=r.isolate, runs_dir=r.runs_dir,
                       label=trial_label(r.label, r.axis, size), memory_limit=r.budget,
                       batch_size=batch, sequence_length=sequence, max_length=length)

    def record(self, run: Any) -> Trial | None:
        """The pending trial judged from its run file (`store.read_run`); None if the search
        was given up meanwhile."""
        with self._lock:
            if self._pending is None:
                return None
            backend, size = self._pending
            self._pending = None
            trial, stop = judge(run, size, self.request.budget)
            backend.trials.append(trial)
            if stop:
                backend.stopped, backend.done = stop, True
            else:
                backend.search.record(size, trial.fits)
            self.version += 1
            return trial

    def give_up(self, why: str, every_backend: bool = True) -> None:
        """The pending trial gave no answer (it did not start, or the runs were stopped): the
        search of its backend ends with `why`, and with `every_backend` every later one's."""
        with self._lock:
            pending, self._pending = self._pending, None
            for backend in self.backends:
                if not backend.done and (every_backend or (pending and backend is pending[0])):
                    backend.stopped, backend.done = why, True
            self.version += 1

    def results(self) -> list[dict[str, Any]]:
        with self._lock:
            return [b.result() for b in self.backends]

    def store(self) -> str:
        """The fit as a run file of kind `fit`: what was asked, each backend's answer, its
        trials."""
        r = self.request
        run_id = new_run_id("fit", r.model)
        path = os.path.join(r.runs_dir, run_id + SUFFIX)
        fit = {"axis": r.axis, "mode": r.mode, "budget": r.budget, "predict": list(r.predict),
               "max_size": r.max_size, "results": self.results()}
        ended = self.finished and not any(b.stopped == STOPPED for b in self.backends)
        meta = {"run_id": run_id, "kind": "fit", "model": r.model, "weights": r.weights,
                "backend": ",".join(r.backends), "label": r.label,
                "status": "done" if ended else "cancelled",
                "cause": "completed" if ended else STOPPED, "started_wall": self.started,
                "ended_wall": time.time(), "fit": fit}
        writer = RunWriter(path, meta)
        writer.finish(meta, (time.monotonic(), "end", "info", f"fit {meta['status']}"))
        return path


def trial_label(label: str, axis: str, size: int) -> str:
    """A trial is named by its size (`batch 8`), after the user's label if there is one: its
    card and its row say which trial it is."""
    return f"{label} · {axis} {size}" if label else f"{axis} {size}"
