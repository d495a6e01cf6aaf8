"""The clients' view of a submission: every run's state, folded from the engine's messages.

One fold (`RunBoard.apply`) serves the live dashboard, replays, follows and the headless
progress lines, whatever produced the messages (engine/messages.py).
"""

from __future__ import annotations

from ..messages import USER_STOP, Message
from ..spec import kind_of
from .run_state import MAX_OPEN_BLOCKS, RunState


class RunBoard:
    """All runs of one submission, in submission order."""

    def __init__(self) -> None:
        self.runs: list[RunState] = []
        self._by_id: dict[str, RunState] = {}
        self.fatal: str | None = None

    def unstarted(self) -> list[tuple[str, str, str | None]]:
        """(name, status, why) of each run that never started: it has no run file."""
        return [(r.title_name, r.status, r.cause) for r in self.runs if not r.path]

    def _queued(self, spec_id: str | None) -> RunState | None:
        """The queued run with this spec id; without one (older files), the first queued."""
        queued = [r for r in self.runs if r.status == "queued"]
        if spec_id is not None:
            return next((r for r in queued if r.spec_id == spec_id), None)
        return queued[0] if queued else None

    def apply(self, message: Message) -> RunState | None:
        kind = message["type"]
        state: RunState | None
        if kind == "queued":
            spec = message["spec"]
            spec_id = message.get("id")
            if spec_id is not None and any(r.spec_id == spec_id for r in self.runs):
                return None  # announced already
            state = RunState(backend=spec.get("backend", ""), model=spec.get("model", ""),
                             kind=kind_of(spec), spec_id=message.get("id"),
                             trial=str(spec.get("label") or "") if spec.get("memory_limit")
                             else "")
            self.runs.append(state)
            return state
        if kind in ("idle", "exited"):
            return None
        if kind == "fatal":
            self.fatal = message["message"]
            return None
        if kind == "cancelled":
            state = self._queued(message.get("id"))
            if state:
                state.status = "cancelled"
                state.version += 1
            return state
        if kind == "started":
            state = self._queued(message.get("id"))
            if state is None:
                return None
            state.status, state.run_id, state.path = "running", message["run"], message["path"]
            state.version += 1
            state.t_start = state.t_last = message["t"]
            state.meta.update(message.get("meta") or {})
            self._by_id[state.run_id] = state
            return state
        if kind == "finished" and message.get("run") is None:  # a session that never started
            state = self._queued(message.get("id"))
            if state:
                state.status, state.cause = message["status"], message["cause"]
                state.version += 1
            return state
        state = self._by_id.get(message.get("run", ""))
        if state is None:
            return None
        state.version += 1
        _FOLD[kind](state, message)
        return state


def _samples(state: RunState, message: Message) -> None:
    if state.rss_first is None and message["rss"]:
        state.rss_first = message["rss"][0]
    state.rss = message["rss"][-1]
    highs = message.get("high") or message["rss"]  # each reading's maximum since the last
    state.sampled_max = max(state.sampled_max, *highs)
    state.t_last = message["t"][-1]
    state.rss_history.extend(message["t"], highs)


def _proc(state: RunState, message: Message) -> None:
    state.hwm = message["hwm"] if state.hwm is None else max(state.hwm, message["hwm"])
    state.swap = message["swap"]
    state.swap_peak = max(state.swap_peak or 0, message["swap"])
    state.nproc = message["nproc"] or 1
    state.max_nproc = max(state.max_nproc, state.nproc)
    state.swap_history.add(message["t"], message["swap"])
    state.anon_history.add(message["t"], message["anon"])
    state.file_history.add(message["t"], message["file"])


def _begin(state: RunState, message: Message) -> None:
    if len(state.open_blocks) < MAX_OPEN_BLOCKS:
        state.open_blocks.append(message["block"])


def _stage(state: RunState, message: Message) -> None:
    stage = message["stage"]
    block = stage.get("block")
    if block is not None:
        state.open_blocks = [b for b in state.open_blocks if b.get("id") != block]
    state.stages.append(stage)
    state.stage = stage["name"]
    state.hwm = max(state.hwm or 0, stage["peak"])
    state.swap = stage.get("swap", state.swap)


def _gpu(state: RunState, message: Message) -> None:
    state.gpu_used = message["used"]
    state.gpu_history.add(message["t"], message["used"])


def _output(state: RunState, message: Message) -> None:
    """The program's output as lines (stdout and stderr as they came; a view shows them as data
    through engine/text.shown)."""
    data = message["data"]
    text = state.log_partial + (data.decode("utf-8", "replace") if isinstance(data, bytes)
                                else str(data))
    *lines, state.log_partial = text.split("\n")
    for line in lines:
        state.log.append(line.rstrip("\r"))
    state.log_count += len(lines)


def _finished(state: RunState, message: Message) -> None:
    state.status, state.cause = message["status"], message["cause"]
    state.user_error = message.get("user_error", False)
    state.returncode = message.get("returncode")
    state.stored_summary = message.get("summary")
    state.t_last = message.get("t_end", state.t_last)
    if state.status in ("killed", "failed"):
        asked = state.cause == USER_STOP  # a stop the user asked for is no error
        state.alarms.append({"type": "alarm", "run": state.run_id, "t": state.t_last,
                             "kind": "end", "level": "info" if asked else "error",
                             "message": f"{state.status}: {state.cause}"})


_FOLD = {
    "samples": _samples,
    "proc": _proc,
    "workers": lambda state, message: setattr(state, "workers", message["workers"]),
    "system": lambda state, message: None,  # shown through alarms only, for now
    "begin": _begin,
    "stage": _stage,
    "iteration": lambda state, message: state.iterations.append(message["iteration"]),
    "marker": lambda state, message: state.markers.append(message["marker"]),
    "gpu": _gpu,
    "meta": lambda state, message: state.meta.update(message["meta"]),
    "alarm": lambda state, message: state.alarms.append(message),
    "finished": _finished,
    "output": _output,
}
