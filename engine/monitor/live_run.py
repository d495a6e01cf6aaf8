"""One run in progress: its session, samplers, event stream, run file and messages out.

Threads (sampler, GPU sampler, output readers) only append to `self._inbox`, the event reader to
its queue; all else (run file, statistics, messages out) happens in `pump`, called by the engine's
main loop: the SQLite connection and the socket have one user each."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import messages
from ..analysis.alarms import AlarmWatch, Thresholds
from ..analysis.leaks import analyze
from ..analysis.output_stages import OutputStages
from ..analysis.running_stats import RunningStats
from ..analysis.stage_tree import StagePlaces
from ..analysis.summary import current_summary
from ..events import BadEvent, check_event
from ..messages import Message
from ..probes.attach import AttachedProcess
from ..spec import RunSpec
from ..store.schema import SUFFIX
from ..store.writer import RunWriter
from . import readings
from .event_reader import EventReader
from .gpu_sampler import GpuSampler, start_gpu_sampler
from .launch import initial_meta, leftovers, make_run_id, session_limit, start_process
from .outcome import run_ending, sampler_alarm, stored_end, with_leftovers
from .output import OutputKeeper
from .outside_marks import OutsideMarks
from .peaks import SampledPeak
from .sampler import Sampler, lost_maxima, readings_meta
from .shared_marks import make_peaks_dir, remove_peaks_dir
from .waker import Inbox
from .workers import WorkerWatch

KILL_GRACE_S = 3.0
MAX_BAD_EVENTS_KEPT = 100  # a program flooding the descriptor does not flood the run file
EVENTS_AFTER_EXIT_S = 2.0


class LiveRun:
    def __init__(self, spec: RunSpec, send: Callable[[Message], None],
                 bench: dict[str, Any] | None = None, stdin: int | None = None,
                 wake: Callable[[], None] | None = None) -> None:
        """`wake`: wakes the engine's loop for what its threads hand it that cannot wait
        (output, events, the end: monitor/waker.py)."""
        self.spec = spec
        self.send = send
        self.run_id = make_run_id(spec)
        self.path = os.path.join(spec.runs_dir, self.run_id + SUFFIX)
        self.t_start = time.monotonic()
        self.meta = initial_meta(spec, self.run_id, self.t_start, bench)
        self.writer = RunWriter(self.path, self.meta)
        self.stages: list[dict[str, Any]] = []
        self.iterations: list[dict[str, Any]] = []
        self.error: dict[str, Any] | None = None
        self.done = False
        self.stop_requested_at: float | None = None
        self.stop_reason = "user"  # why it was stopped (messages.STOP_REASONS)
        self._exited_at: float | None = None
        self.places = StagePlaces()  # each stage's place in the run's tree of stages
        self.bad_events = 0
        self.sampler_error: str | None = None
        self._storage_alarmed = False
        self.max_swap = 0
        self._highest = 0  # the highest reading of the tree (each its interval's maximum)
        self._inbox = Inbox(wake)  # readings.Reading tuples from the threads
        self._events: EventReader | None  # none for a process memtop did not start
        self._peaks = SampledPeak()
        self._stats = RunningStats(self.t_start)  # the end's statistics, without reading back
        self._alarms = AlarmWatch(Thresholds(**spec.alarms))
        # A process memtop did not start keeps its high-water mark: point samples.
        self.peaks_dir = None if self.attached else make_peaks_dir(self.run_id)
        # Several processes: one by one.
        self.workers = WorkerWatch(self.run_id, self._alarms, self.peaks_dir)
        self.output = OutputKeeper(spec.max_output)
        self.output_stages = OutputStages(spec.stage_pattern) if spec.stage_pattern else None
        self._own_marks = False  # the program sent stages of its own (memtop.stage, mark)
        self._finished = threading.Event()  # output after this is read and dropped
        self.limit, said = session_limit(spec)  # `memtop fit`'s trials: a memory cgroup
        self.meta.update(said)
        self.process: subprocess.Popen | AttachedProcess
        self.process, self._events = start_process(spec, self.run_id, self._inbox,
                                                   self._finished, stdin, self.limit,
                                                   self.peaks_dir)
        self.meta["pid"] = self.process.pid
        self._outside = OutsideMarks(self.process.pid, self.run_id, self.writer, self.send,
                                     self.peaks_dir)
        self.sampler = Sampler.for_run(self.process.pid, spec, self._inbox, self.peaks_dir)
        said.update(readings_meta(self.sampler))
        self.meta.update(said)
        self.writer.set_meta({"pid": self.process.pid, **said})
        self.writer.commit()  # a follower tells a live run from an interrupted one by its pid
        self.sampler.start()
        self.gpu_sampler: GpuSampler | None = None
        if spec.device == "gpu":
            self.gpu_sampler, self.meta["nvml"] = start_gpu_sampler(lambda: self.sampler.tree,
                                                                    self._inbox)
            self.writer.set_meta({"nvml": self.meta["nvml"]})
        self.send(messages.started(spec.id, self.run_id, self.path, self.process.pid,
                                   self.t_start, self.meta))

    @property
    def attached(self) -> bool:
        """Watching a process memtop did not start: never signalled, only let go."""
        return self.spec.attach_pid is not None

    def pump(self, now: float) -> None:
        """Moves what the threads gathered into the run file and out to the client."""
        times: list[float] = []
        values: list[int] = []  # the samples of this pump, sent as one message
        highs: list[int] = []
        while self._inbox:
            reading = self._inbox.popleft()
            if isinstance(reading, readings.Sample):
                self._peaks.add(reading.t0, reading.t1, reading.main, reading.main_high,
                                reading.since)
                times.append(reading.t1)
                values.append(reading.total)
                highs.append(reading.high)
            elif isinstance(reading, readings.ProcReading):
                self.writer.add_proc([reading])
                self.max_swap = max(self.max_swap, reading.swap)
                self._reading(messages.proc(self.run_id, reading))
            elif isinstance(reading, readings.SystemReading):
                self.writer.add_system([reading])
                self._reading(messages.system(self.run_id, reading))
            elif isinstance(reading, readings.WorkersReading):
                self._raise(self.workers.reading(*reading, self.send))
            elif isinstance(reading, readings.GpuReading):
                self.writer.add_gpu([reading])
                self.send(messages.gpu(self.run_id, reading))
            elif isinstance(reading, readings.SamplerError):  # the program goes on; it fails
                self.sampler_error = reading.message
                self._raise([sampler_alarm(reading.message)])
            elif isinstance(reading, readings.OutputChunk):
                self._on_output(*reading)
        self._take_events()
        if times:
            self._stats.add(times, values)
            self._highest = max(self._highest, *highs)
            self.writer.add_samples(list(zip(times, values, highs, strict=True)))
            self.send(messages.samples(self.run_id, times, values, highs))
        self.writer.maybe_commit(now)
        if self.writer.failed is not None and not self._storage_alarmed:
            self._storage_alarmed = True
            self.send(messages.alarm(self.run_id, now, "storage", "error",
                                     f"cannot write the run file ({self.writer.failed}): the "
                                     "program goes on; readings from here on are lost"))

    def _reading(self, message: Message) -> None:
        self.send(message)
        self._raise(self._alarms.on_message(message))

    def _raise(self, alarms: list[dict[str, Any]]) -> None:
        for alarm in alarms:
            self.writer.add_event(alarm["t"], alarm["kind"], alarm["level"], alarm["message"])
            self.send(messages.alarm(self.run_id, **alarm))

    def _on_output(self, t: float, stream: int, data: bytes) -> None:
        self.send(messages.output(self.run_id, t, stream, data))
        kept, newly_cut = self.output.keep(data)
        if kept:
            self.writer.add_output(t, stream, kept)
        if newly_cut:
            self.writer.add_event(t, "output_cut", "warning", self.output.cut_note())
        if self.output_stages is not None:
            for name in self.output_stages.feed(stream, data):
                self._take_events(sent_before=t)  # the program's own marks come first
                self.external_mark(name)

    def _take_events(self, sent_before: float | None = None) -> None:
        if self._events is not None:
            for event in self._events.take(sent_before):
                self._on_event(event)

    def _on_event(self, event: Any) -> None:
        """A session event, checked first (engine/events.py): one that fails is noted in the
        run file and dropped, so a stray line from the program never stops the recording."""
        try:
            self._apply_event(check_event(event))
        except BadEvent as exc:
            self.bad_events += 1
            if self.bad_events <= MAX_BAD_EVENTS_KEPT:
                self.writer.add_event(time.monotonic(), "bad_event", "warning",
                                      f"ignored a session event: {exc}")

    def _apply_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        self._own_marks |= kind in ("begin", "stage") and not event.get("manual")
        for key in ("t_start", "t", "t_end") if kind in ("begin", "stage") else ():
            self._stats.boundary(float(event.get(key, "-inf")))  # where stage windows end
        if kind == "begin":
            self._peaks.open_block(event["id"], float(event["t_end"]))
            self.workers.on_begin(event)
            self.places.begin(event)
            block = {key: event[key] for key in ("id", "name", "parent", "path", "trail", "worker")
                     if key in event} | {"t": event["t_end"]}
            # Kept as an event, so that replay and follow show the block open while it was.
            self.writer.add_event(event["t_end"], "begin", "info", "block opened", block)
            self.send(messages.begin(self.run_id, block))
        elif kind == "stage":
            sampled = self._peaks.close_stage(float(event["t"]), float(event["t_end"]),
                                              event.get("block"))
            # A rank's stage is its own process's; the sampled maximum is the whole tree's.
            rank = self.workers.on_stage(event, self.sampler.tree, self.process.pid)
            event["sampled_peak"] = None if rank else sampled
            self.places.stage(event)
            event.pop("type")
            self.writer.add_stage(len(self.stages) + 1, event)
            self.stages.append(event)
            self.send(messages.stage(self.run_id, event))
        elif kind == "iteration":
            self.writer.add_event(event["t"], "iteration", "info", f"iteration {event['i']}",
                                  event)
            self.iterations.append(event)
            self.send(messages.iteration(self.run_id, event))
        elif kind == "meta":
            values = dict(event["meta"])
            self.meta.update(values)
            self.writer.set_meta(values)
            # Kept as an event too, so that replay and follow learn it when the run did.
            self.writer.add_event(time.monotonic(), "meta", "info", "session facts", values)
            self.send(messages.meta(self.run_id, values))
        elif kind == "error":
            self.error = event
            self.writer.add_event(time.monotonic(), "error", "error", str(event["message"]),
                                  {"traceback": event.get("traceback")})
        elif kind == "done":
            self.done = True

    # ---- ending ----------------------------------------------------------------------------

    @property
    def _marks_from_outside(self) -> bool:
        """Whether memtop alone sets the boundaries: attached, or stages from output (until the
        program's own markers come: theirs reset the peak, so output stages take the sampled)."""
        return self.attached or (self.output_stages is not None and not self._own_marks)

    def external_mark(self, name: str) -> None:
        """A mark from outside (a key in the TUI, a line of output): a stage at the top where
        memtop alone sets this program's boundaries, else a marker that never touches the
        program's stages (outside_marks.py)."""
        event = self._outside.mark(name, as_stage=self._marks_from_outside)
        if event is not None:
            self._on_event(event)

    def request_stop(self, why: str = "user") -> None:
        if self.stop_requested_at is None and self.process.poll() is None:
            self.stop_requested_at = time.monotonic()
            self.stop_reason = why
            self.signal(signal.SIGTERM)

    def enforce_stop(self, now: float) -> None:
        if self.stop_requested_at is not None and now - self.stop_requested_at > KILL_GRACE_S:
            self.signal(signal.SIGKILL)

    def signal(self, signum: int) -> None:
        """Signals the session's process group; never a process memtop only watches."""
        if self.attached:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def finished(self) -> bool:
        if self.attached and self.stop_requested_at is not None:
            return True  # detached
        if self.process.poll() is None:
            return False
        # The events end when every holder of the pipe has closed it; a child the session left
        # behind may hold it open, so the run ends anyway shortly after the session itself.
        if self._exited_at is None:
            self._exited_at = time.monotonic()
        return self._events is None or self._events.closed.is_set() or \
            time.monotonic() - self._exited_at > EVENTS_AFTER_EXIT_S

    def finalize(self) -> dict[str, Any]:
        for sampler in (self.sampler, self.gpu_sampler):
            if sampler is not None:
                sampler.stop()
                sampler.join(timeout=2.0)
        killed, left = ([], []) if self.attached else leftovers(self.run_id, self.process.pid)
        self.signal(signal.SIGKILL)  # anything the session left behind in its group
        self._outside.close()
        remove_peaks_dir(self.peaks_dir)
        if self.sampler.maxima_lost_at is not None:
            self.meta["readings"] = lost_maxima(self.sampler.maxima_lost_at)
            self.writer.set_meta({"readings": self.meta["readings"]})
        self.pump(time.monotonic())
        self.pump(time.monotonic())
        self._finished.set()
        result, now = with_leftovers(run_ending(self), killed, left), time.monotonic()
        if self.limit is not None:  # after the ending read its OOM kills
            self.limit.remove()
        self.writer.commit()
        analysis: dict[str, Any] = {"stats": self._stats.result(self.stages, self.t_start),
                                    "bad_events": self.bad_events}
        if self.iterations:
            analysis["leak"] = analyze(self.iterations)
        if workers := self.workers.final():
            analysis["workers"] = workers
        stored = {**stored_end(result, self.process.returncode, now, self.output.tail()),
                  "summary": current_summary(self.stages, self.max_swap, self._highest or None),
                  "output_cut": self.output.cut}
        self.meta.update(stored)
        self.writer.finish({**analysis, **stored},
                           (now, "end", result["level"], f"{result['status']}: {result['cause']}"))
        self.send(messages.finished(self.spec.id, self.run_id, self.path, stored))
        return stored
