"""`memtop fit` live: one engine runs the trials one at a time; the next is chosen when the last
one's run file is closed, in the source's reader thread (so the search goes on while the user
looks at another screen, or while `memtop fit --no-tui` prints). The dashboard shows every
trial's card and the plan's cards (tui/widgets/fit_cards.py)."""

from __future__ import annotations

import threading
from collections import deque

from ..errors import UserError
from ..messages import Message
from ..store import read_run
from ..units import format_size
from .fit_plan import STOPPED, FitPlan
from .sources import LiveSource


class FitSource(LiveSource):
    def __init__(self, plan: FitPlan) -> None:
        self.plan = plan
        self.fit_path: str | None = None  # the fit's run file, once every answer is known
        self._send_lock = threading.Lock()  # trials are submitted from the reader thread
        first = plan.next_spec()
        self._trial_id = first.id if first else None
        self._trial_backend = first.backend if first else ""
        self._notes: deque[str] = deque()  # a verdict per trial, for the headless printer
        super().__init__([first] if first else [])
        request = plan.request
        self.title = f"fit: {request.model}, largest {request.axis} within " \
                     f"{format_size(request.budget)}"
        if first is None:
            self._finish()

    def _received(self, message: Message) -> None:
        if message["type"] in ("finished", "cancelled") and message.get("id") == self._trial_id:
            self._next_trial(message)
        elif message["type"] == "exited" and not self.plan.finished:
            self.plan.give_up("the engine ended before the search did")

    def _next_trial(self, message: Message) -> None:
        """The finished trial judged from its run file, and the next one submitted."""
        if self.plan.finished:  # stopped by the user: nothing more to run
            return
        if message["type"] == "cancelled" or not message.get("path"):
            self.plan.give_up(f"the trial did not start: {message.get('cause') or 'cancelled'}",
                              every_backend=False)  # the next backend may start
        else:
            try:
                run = read_run(message["path"])
            except UserError as exc:
                self.plan.give_up(f"its trial's run file could not be read: {exc}")
            else:
                try:
                    trial = self.plan.record(run)
                finally:
                    run.close()
                if trial is not None:
                    self._notes.append(f"{self._trial_backend} {self.plan.request.axis} "
                                       f"{trial.size}: {trial.verdict}")
        spec = self.plan.next_spec()
        if spec is None:
            self._finish()
            return
        self._trial_id, self._trial_backend = spec.id, spec.backend
        with self._send_lock:
            self._client.submit([spec])

    def _finish(self) -> None:
        self._trial_id = None
        self.fit_path = self.plan.store()

    def stop_runs(self, why: str = "user") -> bool:
        self.plan.give_up(STOPPED)
        with self._send_lock:
            return super().stop_runs(why)

    def mark(self, run_id: str, name: str) -> bool:
        with self._send_lock:
            return super().mark(run_id, name)

    def going(self) -> int:
        """Nothing to leave running: quitting stops the search (what it found is stored)."""
        return 0

    def notes(self) -> list[str]:
        said = []
        while self._notes:
            said.append(self._notes.popleft())
        return said

    def more_to_come(self) -> bool:
        return not self.plan.finished

    def detach(self) -> bool:
        """A fit cannot go on without this memtop: it chooses each next trial."""
        return False
