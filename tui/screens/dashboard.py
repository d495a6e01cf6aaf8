"""The live dashboard: a card per run, an alarm banner, replay controls. Live and replayed runs
take the same path: the source's messages are folded into a RunBoard ten times a second."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Header, Static

from memtop.engine.client import FitSource, ReplaySource, RunBoard, RunState, Source
from memtop.engine.text import shown
from memtop.engine.units import fmt_duration

from ..widgets.card_grid import CardGrid
from ..widgets.fit_cards import FitCards
from ..widgets.footer import KeyFooter
from ..widgets.live_table import LiveTable
from ..widgets.run_card import RunCard

TICK_S = 0.1  # messages are drained ten times a second, all of a tick's batched into one
PAINT_EVERY_S = 0.4  # cards repaint at most 2.5 times a second (htop: every 1.5 s); a run's start,
# stage or end repaints at once
TABLE_ROWS = 40  # terminal rows from which the live comparison table shows (`c` toggles it)
SEEK_STEP_S = 5.0
URGENT = {"queued", "started", "stage", "finished", "alarm", "cancelled"}
REPLAY_ACTIONS = {"replay", "seek", "seek_to"}


class DashboardScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_detail", "Detail"),
        Binding("e", "events", "Events"),
        Binding("l", "log", "Output"),
        Binding("d", "diff", "Compare"),
        Binding("s", "stop_runs", "Stop runs", show=False),
        Binding("m", "mark", "Marker", show=False),
        Binding("space", "replay('toggle_pause')", "Pause", show=False),
        Binding("plus,equals_sign", "replay('faster')", "Faster", show=False),
        Binding("minus", "replay('slower')", "Slower", show=False),
        Binding("left", "seek(-1)", "Back", show=False),
        Binding("right", "seek(1)", "Forward", show=False),
        Binding("home", "seek_to(0)", "Start", show=False),
        Binding("end", "seek_to(1)", "End", show=False),
        # Priority: the cards' scrolling container would take the arrows first.
        Binding("down,j", "app.focus_next", "Next", show=False, priority=True),
        Binding("up,k", "app.focus_previous", "Previous", show=False, priority=True),
        Binding("z", "toggle_scale", "Scale", show=False),
        Binding("c", "toggle_table", "Table", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, source: Source, ascii: bool = False) -> None:
        super().__init__()
        self.source = source
        self.replay = source if isinstance(source, ReplaySource) else None
        self.ascii = ascii
        self.board = RunBoard()
        self.alarms: list[dict] = []
        self._painted = 0.0
        self._marks = 0
        self.show_table: bool | None = None  # the live table: None, where there is room

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="banner")
        if self.replay is not None:
            yield Static(id="replay-bar")
        if isinstance(self.source, FitSource):  # its cards above the trials'
            yield FitCards(self.source, ascii=self.ascii)
        yield CardGrid(ascii=self.ascii, id="cards")
        yield LiveTable(ascii=self.ascii, id="live-table")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "memtop"
        self.sub_title = shown(self.source.title, 200)
        self.tick()
        self.set_interval(TICK_S, self.tick)

    @property
    def cards(self) -> CardGrid:
        return self.query_one(CardGrid)

    def on_resize(self) -> None:
        if self.show_table is None:  # not chosen with `c`: shown where there is room
            self._set_table(self.size.height >= TABLE_ROWS)

    def _set_table(self, visible: bool) -> None:
        self.query_one(LiveTable).display = visible
        self.call_after_refresh(self.cards.share_height)

    def action_toggle_table(self) -> None:
        self.show_table = not self.query_one(LiveTable).display
        self._set_table(self.show_table)

    def action_toggle_scale(self) -> None:
        cards = self.cards
        cards.shared_scale = not cards.shared_scale
        self._sync_cards()
        self.notify("one scale for every card" if cards.shared_scale
                    else "each card on its own scale", timeout=2)

    # ---- the one place messages become state ------------------------------------------------

    def tick(self) -> None:
        source = self.source
        if self.replay is not None and self.replay.reset:
            self.replay.reset = False
            self._rebuild()
        urgent = False
        for message in source.poll():
            state = self.board.apply(message)
            urgent = urgent or message["type"] in URGENT
            if message["type"] == "alarm":
                self._on_alarm(message)
            elif message["type"] == "finished" and state is not None and state.alarms and \
                    state.alarms[-1].get("kind") == "end":
                self._on_alarm(state.alarms[-1])
        for cards in self.query(FitCards):  # `memtop fit`
            cards.sync()
        now = time.monotonic()
        if urgent or now - self._painted >= PAINT_EVERY_S:
            self._painted = now
            self._sync_cards()
        if self.replay is not None:
            replay = self.replay
            state = "paused" if replay.paused else f"x{replay.speed:g}"
            self.query_one("#replay-bar", Static).update(
                f"replay {fmt_duration(replay.position)} / {fmt_duration(replay.duration)}"
                f"  {state}   space pause · +/- speed · ←/→ seek · home/end")

    def _rebuild(self) -> None:
        """After a backward seek: start again from nothing (the source replays up to there)."""
        self.board = RunBoard()
        self.alarms.clear()
        self.cards.clear_cards()
        self._update_banner()

    def _sync_cards(self) -> None:
        added = self.cards.sync(self.board.runs)
        table = self.query_one(LiveTable)
        if table.display:
            table.show_runs(self.board.runs)
        if added and isinstance(self.source, FitSource):  # its newest trial in view
            self.cards.scroll_end(animate=False)

    def _on_alarm(self, alarm: dict) -> None:
        if any(a is alarm for a in self.alarms):
            return
        self.alarms.append(alarm)
        self._update_banner()
        severity = {"info": "information", "warning": "warning"}.get(alarm["level"], "error")
        self.notify(self._alarm_text(alarm), severity=severity, timeout=6, markup=False)

    def _alarm_text(self, alarm: dict) -> str:
        state = self._state_of(alarm.get("run"))
        who = state.title_name if state else "?"  # "run: train.py" where no backend
        return shown(f"{who}: {alarm['message']}")

    def _update_banner(self) -> None:
        banner = self.query_one("#banner", Static)
        serious = [a for a in self.alarms if a["level"] in ("warning", "error")]
        showing = serious or self.alarms
        banner.set_class(bool(showing), "-visible")
        banner.set_class(any(a["level"] == "error" for a in showing), "-error")
        if showing:
            more = f"  (+{len(self.alarms) - 1} more: e)" if len(self.alarms) > 1 else ""
            sign = "! " if self.ascii else "⚠ "
            banner.update(Text(sign + self._alarm_text(showing[-1]) + more))

    def _state_of(self, run_id: str | None) -> RunState | None:
        return next((r for r in self.board.runs if r.run_id == run_id), None)

    # ---- actions ----------------------------------------------------------------------------

    def _focused_state(self) -> RunState | None:
        focused = self.focused
        if isinstance(focused, RunCard):
            return focused.state
        return self.board.runs[0] if self.board.runs else None

    def action_open_detail(self) -> None:
        from .detail import DetailScreen

        state = self._focused_state()
        if state is not None:
            self.app.push_screen(DetailScreen(state, ascii=self.ascii))

    def action_log(self) -> None:
        from .log import LogScreen

        state = self._focused_state()
        if state is not None:
            self.app.push_screen(LogScreen(state))

    def action_events(self) -> None:
        from .events import EventsScreen

        self.app.push_screen(EventsScreen(self.alarms, self.board, self.app.startup_errors))

    def action_diff(self) -> None:
        from .compare import CompareScreen

        started = [r for r in self.board.runs if r.stages]
        if len(started) >= 2:
            self.app.push_screen(CompareScreen(started))
        else:
            self.notify("a comparison needs two runs with stages", severity="warning")

    def action_stop_runs(self) -> None:
        going = [r for r in self.board.runs if r.status in ("queued", "running")]
        if not self.source.live:
            self.notify("nothing to stop: this memtop is not running these runs (a replay or a "
                        "followed run)", severity="warning")
        elif not going and not self.source.more_to_come():
            self.notify("no runs are going", severity="warning")
        elif self.source.stop_runs():
            self.notify("stopping the runs (queued ones are cancelled)…")

    def action_mark(self) -> None:
        state = self._focused_state()
        if not self.source.live:
            self.notify("a marker goes on a run this memtop is running (not a replay or a "
                        "followed run)", severity="warning")
            return
        if state is None or state.status != "running" or not state.run_id:
            self.notify("a marker goes on a running run", severity="warning")
            return
        if not self.source.mark(state.run_id, f"mark {self._marks + 1}"):
            return
        self._marks += 1
        self.notify(shown(f"{state.title_name}: mark {self._marks}"), timeout=2, markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Replay keys do nothing on a live dashboard; `esc` is offered only where there is a
        screen to go back to (not on the dashboard memtop started with)."""
        if action == "back":
            return len(self.app.screen_stack) > 2
        return self.replay is not None or action not in REPLAY_ACTIONS

    def action_replay(self, control: str) -> None:
        """Pause, faster, slower: the replay's own controls."""
        getattr(self.replay, control)()

    def action_seek(self, direction: int) -> None:
        self.replay.seek(self.replay.position + direction * SEEK_STEP_S)
        self.tick()

    def action_seek_to(self, end: int) -> None:
        self.replay.seek(self.replay.duration if end else 0.0)
        self.tick()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
