"""A run's output, live or replayed in time with its samples: follows the end, scrolls, and `/`
finds a line (`n` the next one). Lines are shown as data (engine/text.shown)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Header, Input, Log

from memtop.engine.client import RunState
from memtop.engine.text import shown

from ..widgets.footer import KeyFooter

POLL_S = 0.25
LINE_LIMIT = 2_000  # characters shown of one line


class LogScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("slash", "search", "Find"),
        Binding("n", "next_match", "Next match"),
        Binding("end", "follow", "Follow the end"),
    ]
    DEFAULT_CSS = """
    LogScreen Log { height: 1fr; }
    LogScreen #log-find { display: none; }
    LogScreen #log-find.-visible { display: block; }
    """

    def __init__(self, state: RunState) -> None:
        super().__init__()
        self.state = state
        self._shown = 0  # of state.log_count
        self._query = ""
        self._at = -1  # line of the last match

    def compose(self) -> ComposeResult:
        yield Header()
        yield Log(id="log-lines", max_lines=None)
        yield Input(placeholder="find in the output (enter; n for the next)", id="log-find")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = shown(f"memtop · output · {self.state.title_name}", 200)
        self.sub_title = "" if self.state.log_count else "no output yet"
        self.pull()
        self.set_interval(POLL_S, self.pull)

    def pull(self) -> None:
        """Writes the lines that came since the last pull (all kept ones if more came)."""
        state = self.state
        new = state.log_count - self._shown
        if new <= 0:
            return
        lines = list(state.log)[-new:] if new <= len(state.log) else list(state.log)
        self.query_one(Log).write_lines(shown(line, LINE_LIMIT) for line in lines)
        self._shown = state.log_count
        self.sub_title = f"{state.log_count:,} lines"

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_search(self) -> None:
        find = self.query_one("#log-find", Input)
        find.add_class("-visible")
        find.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._query, self._at = event.value.strip(), -1
        event.input.remove_class("-visible")
        self.query_one(Log).focus()
        self.action_next_match()

    def action_next_match(self) -> None:
        if not self._query:
            return
        log = self.query_one(Log)
        lines = log.lines
        order = [*range(self._at + 1, len(lines)), *range(0, self._at + 1)]
        found = next((i for i in order if self._query in lines[i]), None)
        if found is None:
            self.notify(shown(f"not in the output: {self._query}"), severity="warning",
                        markup=False)
            return
        self._at = found
        log.auto_scroll = False
        log.scroll_to(y=max(found - 2, 0), animate=False)
        matching = [i for i, line in enumerate(lines) if self._query in line]
        index = matching.index(found) + 1
        self.notify(shown(f"line {found + 1:,}: match {index:,} of {len(matching):,}"),
                    timeout=2, markup=False)

    def action_follow(self) -> None:
        log = self.query_one(Log)
        log.auto_scroll = True
        log.scroll_end(animate=False)
