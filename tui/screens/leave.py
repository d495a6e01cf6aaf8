"""`q` while runs are going: stop them, or leave them running for `memtop attach-engine`.

Asked because either answer can be the one the user wants, and a wrong guess costs an hour of
benchmark or a hidden process holding a shared GPU's memory. Dismissed with "stop", "leave" or
None (stay).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class LeaveScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s,q", "answer('stop')", "Stop them"),
        Binding("l,D", "answer('leave')", "Leave running"),
        Binding("escape", "answer('')", "Stay"),
    ]
    DEFAULT_CSS = """
    LeaveScreen { align: center middle; }
    LeaveScreen > Vertical { width: auto; height: auto; max-width: 100%; padding: 0 2;
                             border: round $warning; background: $surface; }
    LeaveScreen Static { width: auto; }
    """

    def __init__(self, going: int, engine_pid: int | None) -> None:
        super().__init__()
        self.going = going
        self.engine_pid = engine_pid

    def compose(self) -> ComposeResult:
        again = f"memtop attach-engine {self.engine_pid}" if self.engine_pid else \
            "memtop attach-engine"
        with Vertical():
            yield Static(f"{self.going} run(s) still going. Quit and…", markup=False)
            yield Static("  s  stop them (their files keep what was measured)", markup=False)
            yield Static(f"  l  leave them running: {again} to watch again", markup=False)
            yield Static("  esc  stay here", markup=False)

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer or None)
