"""The client side (CLI and TUI): the engine's process started and spoken to, and the state of a
submission's runs folded from its messages.

- `engine_client.EngineClient`: starts an engine, or attaches to a running one, and exchanges
  messages;
- `engines`: engines already running (`memtop ps`, `memtop stop`, the home screen's list), found
  in the engine's runtime folder (monitor/runtime_dir.py, whose lookups this package hands on);
- `board.RunBoard`: the one fold of messages into view state (`run_state.RunState`), for every
  source;
- `sources`: where a view's messages come from (`LiveSource`, `ReplaySource`, `FollowSource`:
  one `poll()` each), and `fit_source.FitSource`, which drives `fit_plan.FitPlan`'s search;
- `history.MaxEnvelope`: bounded histories that never average a spike away;
- `zoom.TimeWindow`, `window_maxima`: a chart's window in time, read from the run file.
No UI here: Textual and Rich views read these. Clients import from this package.
"""

from __future__ import annotations

from ..analysis.alarms import Thresholds
from ..messages import Message
from ..monitor.runtime_dir import EngineAddress, dead_engine_logs, engine_addresses, runtime_dir
from ..store.reader import Run
from ..store.stream import RunStream
from .board import RunBoard
from .engine_client import EngineClient
from .engines import EngineLine, engine_line, engine_state, running_engines, stop_engine
from .fit_plan import STOPPED, BackendFit, FitPlan, FitRequest
from .fit_source import FitSource
from .history import MaxEnvelope, resample_max
from .replay_source import ReplaySource
from .run_state import RunState
from .runs_client import RunsClient
from .sources import FollowSource, LiveSource, Source
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
    "STOPPED",
    "BackendFit",
    "EngineAddress",
    "EngineClient",
    "EngineLine",
    "FitPlan",
    "FitRequest",
    "FitSource",
    "FollowSource",
    "LiveSource",
    "MaxEnvelope",
    "ReplaySource",
    "RunBoard",
    "RunState",
    "RunsClient",
    "Source",
    "TimeWindow",
    "dead_engine_logs",
    "engine_addresses",
    "engine_line",
    "engine_state",
    "fold",
    "replayed_state",
    "resample_max",
    "running_engines",
    "runtime_dir",
    "stop_engine",
    "window_maxima",
]
