"""One run as every view shows it: its status, figures, stages, markers, alarms, histories and
last lines of output, as `RunBoard.apply` (board.py) folds them from the engine's messages."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..analysis.leaks import analyze
from ..analysis.summary import current_summary
from ..report.comparison import program_figures
from ..spec import PROTOCOL_ACTIVITY, command_text, node_label, run_title
from .history import MaxEnvelope

HISTORY_BUCKETS = 1024  # per series: a few times the widest sparkline
LOG_LINES = 10_000  # the program's last lines a view keeps (the run file keeps all of them)
MAX_OPEN_BLOCKS = 64  # nesting deeper than this is not a stage table anyone reads
MAX_MARKERS = 10_000


@dataclass
class RunState:
    backend: str
    model: str
    kind: str = "bench"  # bench, run (a command) or attach (a process memtop did not start)
    status: str = "queued"  # queued, running, done, failed, killed, cancelled, detached
    spec_id: str | None = None
    trial: str = ""  # a `memtop fit` trial: its label, which names its size ("batch 8")
    run_id: str | None = None
    path: str | None = None
    t_start: float | None = None
    t_last: float | None = None
    rss: int | None = None
    rss_first: int | None = None  # its first reading (a program's RSS change runs from it)
    returncode: int | None = None
    sampled_max: int = 0
    hwm: int | None = None
    swap: int = 0
    swap_peak: int | None = None
    nproc: int = 1  # processes in the tree at the last status reading (most seen: max_nproc)
    max_nproc: int = 1
    stage: str | None = None
    cause: str | None = None
    user_error: bool = False
    stored_summary: dict[str, Any] | None = None  # the engine's, once the run has finished
    alarms: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    open_blocks: list[dict[str, Any]] = field(default_factory=list)  # memtop.stage() going on
    iterations: list[dict[str, Any]] = field(default_factory=list)
    # Instants marked from outside (`m`, output lines): never stages (monitor/outside_marks).
    markers: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_MARKERS))
    gpu_used: int | None = None  # bytes the session holds on GPUs (NVML); None: n/a
    gpu_history: MaxEnvelope = field(default_factory=lambda: MaxEnvelope(HISTORY_BUCKETS, 0.1))
    meta: dict[str, Any] = field(default_factory=dict)
    # Each process of a tree of several, live: pid, name (rank), rss, peak. A replay has only
    # their peaks at the end (meta "workers"): `processes` gives whichever is known.
    workers: list[dict[str, Any]] = field(default_factory=list)
    rss_history: MaxEnvelope = field(default_factory=lambda: MaxEnvelope(HISTORY_BUCKETS))
    swap_history: MaxEnvelope = field(default_factory=lambda: MaxEnvelope(HISTORY_BUCKETS, 0.05))
    # RSS by kind (status: RssAnon, RssFile) at the status rate, for the detail chart.
    anon_history: MaxEnvelope = field(default_factory=lambda: MaxEnvelope(HISTORY_BUCKETS, 0.05))
    file_history: MaxEnvelope = field(default_factory=lambda: MaxEnvelope(HISTORY_BUCKETS, 0.05))
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    log_count: int = 0  # lines ever received: a view reads only those it has not shown
    log_partial: str = ""  # the last line, until its newline comes
    version: int = 0  # bumped by every change: views redraw only what changed

    @property
    def title_name(self) -> str:
        """A bench run's backend; a program's run its command (`python train.py --epochs 3`)."""
        node = node_label(self.meta)
        title = command_text(self.meta, 50) if self.kind != "bench" and \
            self.meta.get("command") else run_title(self.backend, self.model, self.kind)
        return title + (f" @{node}" if node else "")

    @property
    def program(self) -> dict[str, Any] | None:
        """A program's own figures for the comparison (None for a bench)."""
        if self.kind == "bench":
            return None
        return program_figures(self.t_start, self.t_last, self.rss_first, self.rss,
                               len(self.stages), self.returncode, self.status)

    @property
    def processes(self) -> list[dict[str, Any]]:
        """The tree's processes one by one (live), else their peaks as stored at the end; once
        the run has ended only peaks (its processes have ended too: an RSS would be stale)."""
        stored = self.meta.get("workers")
        rows = self.workers or (stored if isinstance(stored, list) else [])
        if self.status == "running":
            return rows
        return [{key: value for key, value in row.items() if key != "rss"} for row in rows]

    @property
    def weights(self) -> str | None:
        """The weights the session used (learnt while it runs), else those asked for."""
        return self.meta.get("weights")

    @property
    def summary(self) -> dict[str, Any]:
        """The seeds' figures: the engine's once finished, else from what is known so far."""
        return current_summary(self.stages, self.swap_peak, self.sampled_max or None,
                               self.stored_summary)

    @property
    def leak(self) -> dict[str, Any] | None:
        """The leak analysis so far, once iterations have been seen."""
        return analyze(self.iterations) if self.iterations else None

    @property
    def point_samples(self) -> bool:
        """Whether its readings are the RSS at their moment, not their interval's maximum (a
        process memtop did not start, or asked): a spike between two can be missed."""
        readings = self.meta.get("readings")
        return isinstance(readings, dict) and readings.get("kind") == "point samples"

    @property
    def foreign(self) -> list[str]:
        return list(self.meta.get("foreign_frameworks") or [])

    @property
    def peak(self) -> int | None:
        """The highest RSS known so far: kernel peaks where known, else the samples'."""
        known = [v for v in (self.hwm, self.sampled_max or None) if v]
        return max(known) if known else None

    @property
    def in_progress(self) -> tuple[list[str], float] | None:
        """The stage going on now and when it began: the open blocks, outermost first (["train",
        "step"]), or for the model protocol what follows the last stage finished. None when the
        run is not going, or a program is between its own marks."""
        if self.status != "running":
            return None
        if self.open_blocks:
            return [b["name"] for b in self.open_blocks], self.open_blocks[-1]["t"]
        if self.kind != "bench":
            return None
        last = self.stages[-1] if self.stages else None
        activity = PROTOCOL_ACTIVITY.get(last["name"] if last else None)
        if activity is None:
            return None
        since = last.get("t_end", last["t"]) if last else self.t_start
        return [activity], since if since is not None else 0.0

    @property
    def elapsed(self) -> float:
        if self.t_start is None or self.t_last is None:
            return 0.0
        return self.t_last - self.t_start
