"""The client side (CLI and TUI): the engine's process started and spoken to, and the state of a
submission's runs folded from its messages.

- `engine_client.EngineClient`: starts an engine, or attaches to a running one, and exchanges
  messages;
- `engines`: engines already running (`memtop ps`, `memtop stop`, the home screen's list);
- `board.RunBoard` / `RunState`: the one fold of messages into view state, for every source;
- `history.MaxEnvelope`: bounded histories that never average a spike away;
- `zoom.TimeWindow`, `window_maxima`: a chart's window in time, read from the run file.
No UI here: Textual and Rich views read these. Clients import from this package.
"""

from __future__ import annotations

from ..analysis.alarms import Thresholds
from ..messages import Message
from ..store.reader import Run
from ..store.stream import RunStream
from .board import RunBoard, RunState
from .engine_client import EngineClient
from .engines import EngineLine, engine_line, engine_state, running_engines, stop_engine
from .history import MaxEnvelope, resample_max
from .zoom import TimeWindow, window_maxima


def fold(stream: list[Message]) -> RunBoard:
    board = RunBoard()
    for message in stream:
        board.apply(message)
    return board


def replayed_state(run: Run, thresholds: Thresholds | None = None) -> RunState:
    """A finished run's whole state, as a live view would hold it at its end."""
    return fold(RunStream(run, thresholds).all()).runs[0]


__all__ = [
    "EngineClient",
    "EngineLine",
    "MaxEnvelope",
    "RunBoard",
    "RunState",
    "TimeWindow",
    "engine_line",
    "engine_state",
    "fold",
    "replayed_state",
    "resample_max",
    "running_engines",
    "stop_engine",
    "window_maxima",
]
