"""Following runs while another memtop writes them: new rows become the engine's messages.

`RunFollower` reads one file through SQLite (WAL lets a reader see every committed batch, at
most 200 ms behind the writer). `BenchFollower` follows every run of the benchmark the given
file belongs to: those already written, those being written, and each next one as its file
appears. Both poll at most four times a second and build messages with stream.py's functions.
"""

from __future__ import annotations

import os
import time

from .. import messages
from ..errors import UserError
from ..messages import Message
from .reader import Run, read_run
from .schema import SUFFIX
from .stream import READING_MESSAGES, event_message, finished_message, is_finished, opening_messages

POLL_EVERY_S = 0.25
SCAN_EVERY_S = 1.0  # how often the folder is looked at for the bench's next run file


class RunFollower:
    """One run file, read as it grows."""

    def __init__(self, run: Run, announced: bool = False) -> None:
        self.run = run
        run.stages = []  # rebuilt from the file as its stage rows are read, as they are sent
        self._announced = announced  # `queued` was sent by the bench follower
        start = run.first_cursor  # readings: a row's time (schema 3) or rowid; the rest: rowid
        self._last: dict[str, float] = {"samples": start, "proc": start, "system": start,
                                        "gpu": start}
        self._seen = {"stages": 0, "events": 0, "output": 0}  # rowids
        self._opened = False
        self.finished = False

    def poll(self) -> list[Message]:
        if self.finished:
            return []
        run, run_id = self.run, self.run.run_id
        out: list[Message] = []
        if not self._opened:
            out.extend(opening_messages(run, queued=not self._announced))
            self._opened = True
        # The end is read first: rows committed with or before it are then all read below (read
        # after them, it could end the follow before the last batch of samples was seen).
        meta = run.reload_meta()
        rows = self._new("samples")
        if rows:
            out.append(messages.samples_of(run_id, [r[1:] for r in rows]))
        for table, build in READING_MESSAGES.items():
            out.extend(build(run_id, row[1:]) for row in self._new(table))
        for rowid, t, stream, data in run.output_after(self._seen["output"]):
            self._seen["output"] = rowid
            out.append(messages.output(run_id, t, stream, data))
        for seq, stage in run.stages_after(self._seen["stages"]):
            self._seen["stages"] = seq
            run.stages.append(stage)
            out.append(messages.stage(run_id, stage))
        for rowid, event in run.events_after(self._seen["events"]):
            self._seen["events"] = rowid
            message = event_message(run_id, event)
            if message is not None:
                out.append(message)
        if is_finished(meta):
            self.finished = True
            out.append(finished_message(run, meta.get("t_end") or time.monotonic()))
        return out

    def _new(self, table: str) -> list[tuple]:
        rows = self.run.rows_after(table, self._last[table])
        if rows:
            self._last[table] = rows[-1][0]
        return rows

    def close(self) -> None:
        self.run.close()


class BenchFollower:
    """Every run of the benchmark that `path` belongs to (or just that run, if it is alone)."""

    def __init__(self, path: str) -> None:
        first = read_run(path)  # rejects a bad file with one clear line
        self.folder = os.path.dirname(path) or "."
        bench = first.meta.get("bench") or {}
        self.bench_id = bench.get("id")
        self.specs = [s for s in bench.get("specs") or [] if isinstance(s, dict)]
        self._since = float(bench.get("started_wall") or first.meta.get("started_wall") or 0)
        self._followers: dict[str, RunFollower] = {}
        self._seen: set[str] = {os.path.abspath(path)}
        self._opening: list[Message] = [messages.queued(s) for s in self.specs]
        self._add(first)
        self._next_poll = self._next_scan = 0.0
        if self.bench_id:
            self._scan()

    def _add(self, run: Run) -> None:
        spec_id = (run.meta.get("spec") or {}).get("id")
        announced = any(s.get("id") == spec_id for s in self.specs)
        self._followers[run.path] = RunFollower(run, announced=announced)

    def _scan(self) -> None:
        """New run files of the same bench in the folder (each file is looked at once)."""
        try:
            names = sorted(n for n in os.listdir(self.folder) if n.endswith(SUFFIX))
        except OSError:
            return
        for name in names:
            path = os.path.abspath(os.path.join(self.folder, name))
            if path in self._seen:
                continue
            try:
                if os.path.getmtime(path) < self._since - 1:
                    self._seen.add(path)  # older than the bench: not one of its runs
                    continue
                run = read_run(path)
            except (OSError, UserError):
                continue  # just created and not yet readable: look again at the next scan
            self._seen.add(path)
            if (run.meta.get("bench") or {}).get("id") == self.bench_id:
                self._add(run)
            else:
                run.close()

    def poll(self) -> list[Message]:
        now = time.monotonic()
        if now < self._next_poll:
            return []
        self._next_poll = now + POLL_EVERY_S
        if self.bench_id and now >= self._next_scan:
            self._next_scan = now + SCAN_EVERY_S
            self._scan()
        out, self._opening = self._opening, []
        # In the order the runs started, so that a board sees them as the live engine sent them.
        for follower in sorted(self._followers.values(), key=lambda f: f.run.start):
            out.extend(follower.poll())
        return out

    def close(self) -> None:
        for follower in self._followers.values():
            follower.close()
