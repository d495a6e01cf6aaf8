"""The key help, over whatever screen is open."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
memtop keys

  q, ctrl+c   quit (stops the engine and every session)
  ?           this help          t   next theme
  tab, ↑/↓    move between cards  enter  open the run's detail
  e           event log (alarms, run ends, start-up problems)
  l           the selected run's output (/ find, n next, end follow)
  d           diff (dashboard: the first two runs; home: the two marked)
  s           stop the live runs
  esc         back

replay: space pause · + / - speed · ← / → seek 5 s · home / end
live:   m add a marker to the selected run (attached processes: exact peak)
home:   1 runs · 2 processes · 3 new benchmark · / filter processes
        runs: enter replay · space mark · d diff marked · r reload
        processes: enter attach
"""


class HelpScreen(ModalScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark", "app.pop_screen",
                                                     "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Static { width: auto; height: auto; padding: 1 2; border: round $primary;
                          background: $surface; }
    """

    def compose(self) -> ComposeResult:
        yield Static(HELP)
