"""The TUI's own messages: what screens ask of the app, and what thread workers found.

Screens post requests (`OpenReplay`, `OpenDiff`, `StartBench`, `Attach`, `AttachEngine`) instead
of calling the app; workers that read files or scan /proc post their results (`RunsListed`,
`ProcessesListed`, `EnginesListed`, `SourceReady`, `DiffReady`, `LoadFailed`) instead of touching
widgets from their thread. The engine's messages (engine/messages.py) are a different thing:
they are data, folded by RunBoard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.message import Message

from memtop.engine.client import EngineLine, RunState, Source
from memtop.engine.probes.processes import ProcessInfo

# ---- requests from screens to the app ----------------------------------------------------


class OpenReplay(Message):
    def __init__(self, paths: Sequence[str], follow: bool = False) -> None:
        super().__init__()
        self.paths, self.follow = list(paths), follow


class OpenDiff(Message):
    def __init__(self, *paths: str) -> None:
        super().__init__()
        self.paths = list(paths)


class StartBench(Message):
    def __init__(self, backends: str, model: str, weights: str, isolate: bool) -> None:
        super().__init__()
        self.backends, self.model, self.weights, self.isolate = backends, model, weights, isolate


class Attach(Message):
    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid


class AttachEngine(Message):
    """Watch a running engine's runs (the engines tab: enter)."""

    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid


# ---- results from thread workers --------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    """A line of the home screen's run list ("" path: a file that could not be read)."""

    path: str
    cells: tuple[str, ...]


class RunsListed(Message):
    """A part of the run list, in order; `first` starts a new list, `last` ends it."""

    def __init__(self, rows: Sequence[RunRow], first: bool, last: bool) -> None:
        super().__init__()
        self.rows, self.first, self.last = list(rows), first, last


class EnginesListed(Message):
    def __init__(self, lines: Sequence[EngineLine]) -> None:
        super().__init__()
        self.lines = list(lines)


class ProcessesListed(Message):
    def __init__(self, processes: Sequence[ProcessInfo]) -> None:
        super().__init__()
        self.processes = list(processes)


class SourceReady(Message):
    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source


class DiffReady(Message):
    def __init__(self, states: Sequence[RunState]) -> None:
        super().__init__()
        self.states = list(states)


class LoadFailed(Message):
    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem
