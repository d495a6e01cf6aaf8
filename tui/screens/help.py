"""The key help, over whatever screen is open."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# At most 72 columns a line: with its border and padding the help fits an 80-column terminal.
HELP = """\
memtop keys

  q           quit; while runs go it asks: s stop them, l leave them
  ctrl+c      quit and stop the runs   D  quit, leaving them running
              (watch again: memtop attach-engine; list: memtop ps)
  ?           this help         t  next theme      ctrl+p  commands
  tab, ↑/↓    move between cards   enter  the run's detail
  e           event log (alarms, run ends, markers, start-up problems)
  l           the run's output (/ find, n next, end follow)
  d           compare runs by stage (dashboard: all; home: the marked)
  b           (compare) the next run as the baseline
  u           (compare) every occurrence of repeated stages, or folded
  enter       (detail, stage table) unfold a repeated stage, or fold it
  z           (dashboard) one scale for all cards, or each its own
  c           (dashboard) the live comparison table, shown or hidden;
              (compare) to the stage-aligned chart, and back to the top
  s           stop the live runs (queued ones are cancelled)
  m           a marker on the run: an instant, never a stage (live runs)
  esc         back (where the footer offers it)

replay: space pause · + / - speed · ← / → seek 5 s · home / end
detail: + / - zoom the chart · ← / → pan (zoomed) · 0 whole run
        a allocation sites (a run made with --allocations)
home:   1 runs · 2 processes · 3 new benchmark · 4 engines
        / filter processes · engines: enter watch one
        runs: enter replay · space mark · d diff marked · r reload
        processes: enter attach · c/m/p sort by CPU, memory, PID

What the cards show
  border      health by kernel peak: green good (< 1 GiB), yellow
              acceptable (1-3), orange high (3-5), red critical (> 5)
  ⚑ tf,jax    other ML frameworks the session loaded (foreign)
  sparkline   RSS from 0 at the bottom to the scale the card names;
              every spike kept (each column is a maximum)
  now …       the stage in progress, and for how long
"""


class HelpScreen(ModalScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark", "app.pop_screen",
                                                     "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: auto; height: auto; max-width: 100%;
                                  max-height: 100%; border: round $primary;
                                  background: $surface; }
    HelpScreen Static { width: auto; padding: 0 2; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP)
