"""Following a run file while another memtop writes it: new rows become engine messages.

Reads through SQLite (WAL lets a reader see every committed batch, at most 200 ms behind the
writer); polls at most four times a second.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .replay import (
    ALARM_KINDS,
    alarm_message,
    finished_message,
    opening_messages,
    proc_message,
    system_message,
)
from .store import read_run

POLL_EVERY_S = 0.25


class RunFollower:
    def __init__(self, path: str) -> None:
        self.run = read_run(path)  # rejects a bad file with one clear line
        self._db = self.run._db
        self._last = {"samples": 0, "proc": 0, "system": 0, "stages": 0, "events": 0}
        self._opened = False
        self._finished = False
        self._next_poll = 0.0

    def poll(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        if self._finished or now < self._next_poll:
            return []
        self._next_poll = now + POLL_EVERY_S
        run, run_id = self.run, self.run.run_id
        out: list[dict[str, Any]] = []
        if not self._opened:
            out.extend(opening_messages(run))
            self._opened = True
        rows = self._new("samples", "t, rss")
        if rows:
            out.append({"type": "samples", "run": run_id, "t": [r[1] for r in rows],
                        "rss": [r[2] for r in rows]})
        out.extend(proc_message(run_id, r[1:]) for r in self._new("proc", "*"))
        out.extend(system_message(run_id, r[1:]) for r in self._new("system", "*"))
        for row in self._new("stages", "data"):
            out.append({"type": "stage", "run": run_id, "stage": json.loads(row[1])})
        for _, t, kind, level, message, _data in self._new("events", "*"):
            if kind in ALARM_KINDS:
                out.append(alarm_message(run_id, {"t": t, "kind": kind, "level": level,
                                                  "message": message}))
        run.meta = {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM meta")}
        if run.meta.get("status", "running") != "running":
            self._finished = True
            out.append(finished_message(run, run.meta.get("t_end") or now))
        return out

    def _new(self, table: str, columns: str) -> list[tuple]:
        rows = self._db.execute(f"SELECT rowid, {columns} FROM {table} WHERE rowid > ? "
                                "ORDER BY rowid", (self._last[table],)).fetchall()
        if rows:
            self._last[table] = rows[-1][0]
        return rows

    def close(self) -> None:
        self.run.close()
