"""The TUI's own messages, defined once: what screens ask of the app, and what thread workers
found. Each is a dataclass (Textual calls `__post_init__`); a worker's result is a frozen
snapshot, never a widget touched from its thread.

Screens post requests (`OpenReplay`, `OpenDiff`, `StartBench`, `Attach`, `AttachEngine`) that the
app meets in workers (tui/opening.py); workers that read files or scan /proc post their results
(`RunsListed`, `ProcessesListed`, `EnginesListed`, `SourceReady`, `DiffReady`, `SitesRead`,
`LoadFailed`; the detail chart's window: widgets/detail_chart.ChartRead). Results of which only
the latest matters say so (`can_replace`). The engine's messages (engine/messages.py) are a
different thing: they are data, folded by RunBoard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from memtop.engine.client import EngineLine, RunState, Source
from memtop.engine.probes.processes import ProcessInfo

# ---- requests from screens to the app ----------------------------------------------------


@dataclass
class OpenReplay(Message):
    paths: list[str]
    follow: bool = False


@dataclass
class OpenDiff(Message):
    paths: list[str]


@dataclass
class StartBench(Message):
    backends: str
    model: str
    weights: str
    isolate: bool


@dataclass
class Attach(Message):
    """Watch a running process (the processes tab: enter)."""

    pid: int


@dataclass
class AttachEngine(Message):
    """Watch a running engine's runs (the engines tab: enter)."""

    pid: int


# ---- results from thread workers --------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    """A line of the home screen's run list ("" path: a file that could not be read)."""

    path: str
    cells: tuple[str, ...]


@dataclass
class RunsListed(Message):
    """A part of the run list, in order; `first` starts a new list, `last` ends it."""

    rows: list[RunRow]
    first: bool
    last: bool


@dataclass
class EnginesListed(Message):
    lines: list[EngineLine]

    def can_replace(self, message: Message) -> bool:  # a newer scan says it all
        return isinstance(message, EnginesListed)


@dataclass
class ProcessesListed(Message):
    processes: list[ProcessInfo]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ProcessesListed)


@dataclass
class SourceReady(Message):
    source: Source


@dataclass
class DiffReady(Message):
    states: list[RunState]


@dataclass
class SitesRead(Message):
    """The allocation sites of each stage (`a` on the detail screen), by stage key."""

    sites: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class LoadFailed(Message):
    problem: str
