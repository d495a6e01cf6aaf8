"""The memtop Textual app: themes, global keys, and the screens it opens.

`MemtopApp(start=…)` is the one factory shared by the CLI and the tests. Screens ask for what
they need by posting messages (tui/messages.py); reading run files happens in thread workers,
so the event loop only draws and answers keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import ClassVar, Literal

from textual.app import App
from textual.binding import Binding, BindingType

from memtop.engine.client import Source
from memtop.engine.text import shown

from .opening import Opening
from .screens.dashboard import DashboardScreen
from .screens.help import HelpScreen
from .themes import DEFAULT_THEME, THEME_VARIABLES, load_themes

Start = Literal["home", "dashboard", "diff"]


HANG_UP_GRACE_S = 6.0  # a live bench stops its sessions in up to 3 s and closes their files


def _leave_now() -> None:
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(1)


class MemtopApp(Opening, App):
    CSS_PATH = "memtop.tcss"
    TITLE = "memtop"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "stop_and_quit", "Quit", show=False, priority=True),
        Binding("D", "detach", "Detach", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("t", "next_theme", "Theme"),
    ]

    def __init__(self, start: Start = "home", source: Source | None = None,
                 diff_paths: Sequence[str] = (), runs_dir: str = "runs", theme: str | None = None,
                 ascii: bool = False, keep_on_hangup: bool = False) -> None:
        super().__init__()
        self.keep_on_hangup = keep_on_hangup  # a lost terminal leaves the runs running
        self.stop_reason = "user"  # why its runs stop when it goes: hangup, terminated (SIGTERM)
        self.start = start
        self.initial_source = source
        self.diff_paths = list(diff_paths)
        self.runs_dir = runs_dir
        self.ascii = ascii
        self.sources: list[Source] = []
        loaded = load_themes()
        self.startup_errors = list(loaded.errors)
        self.memtop_themes = [t.name for t in loaded.themes]
        for item in loaded.themes:
            self.register_theme(item)
        wanted = theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.startup_errors.append(f"unknown theme '{wanted}': using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme = wanted

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(THEME_VARIABLES)

    def _ended_from_outside(self) -> None:
        """SIGHUP (the terminal went away) or SIGTERM: exit, and make sure of it. Textual's
        shutdown can wait for ever on a writer thread stuck on a dead terminal (seen under load:
        both threads in futex waits, the process left running), before memtop's own exit wait
        (cli/__init__.py) is reached; so a watchdog ends the process if it is still here after
        HANG_UP_GRACE_S. Run files are the engine's: it keeps them when its client goes."""
        watchdog = threading.Timer(HANG_UP_GRACE_S, _leave_now)
        watchdog.daemon = True
        watchdog.start()
        self.exit()

    def _hung_up(self) -> None:
        """SIGHUP: the terminal went away (a dropped SSH connection)."""
        self.stop_reason = "hangup"
        self.leave_running_if_kept()
        self._ended_from_outside()

    def _terminated(self) -> None:
        """SIGTERM: `kill` of memtop."""
        self.stop_reason = "terminated"
        self._ended_from_outside()

    def leave_running_if_kept(self) -> None:
        """With --keep-on-hangup (or the config's engine.keep_on_hangup), a lost terminal
        leaves the live runs running; otherwise quitting stops them, as it always did."""
        if self.keep_on_hangup:
            self.detach_sources()

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum, handler in ((signal.SIGTERM, self._terminated),
                                (signal.SIGHUP, self._hung_up)):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, handler)
        for problem in self.startup_errors:
            self.notify(shown(problem), title="theme", severity="error", timeout=10, markup=False)
        if self.start == "dashboard" and self.initial_source is not None:
            self.open_source(self.initial_source)
        elif self.start == "diff":
            self.load_diff(*self.diff_paths)
        else:
            from .screens.home import HomeScreen

            self.push_screen(HomeScreen(self.runs_dir))

    # ---- opening screens -------------------------------------------------------------------

    def open_source(self, source: Source) -> None:
        self.sources.append(source)
        self.push_screen(DashboardScreen(source, ascii=self.ascii))

    # ---- global actions --------------------------------------------------------------------

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """ctrl+p → Screenshot, on every screen: into the working folder (Textual's default,
        ~/Downloads, is missing on most servers); Textual says where it went."""
        return super().deliver_screenshot(filename, path or os.getcwd(), time_format)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_next_theme(self) -> None:
        names = self.memtop_themes or [self.theme]
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def close_sources(self) -> None:
        for source in self.sources:
            with contextlib.suppress(Exception):
                source.close(self.stop_reason)
        self.sources.clear()

    def detach_sources(self) -> bool:
        """Leaves the live runs running (for `memtop attach-engine`); False if there are none."""
        detached = [s.detach() for s in self.sources if s.live]
        return any(detached)

    async def action_quit(self) -> None:
        """Quits; while runs are going, asks first: stop them, or leave them running."""
        going = sum(s.going() for s in self.sources if s.live)
        if not going:
            await self.action_stop_and_quit()
            return
        from .screens.leave import LeaveScreen

        pid = next((s.engine_pid for s in self.sources if s.live), None)
        self.push_screen(LeaveScreen(going, pid), self._leave)

    def _leave(self, answer: str | None) -> None:
        if answer == "leave":
            self.detach_sources()
        if answer is not None:
            self.close_sources()
            self.exit()

    async def action_stop_and_quit(self) -> None:
        self.close_sources()
        self.exit()

    def action_detach(self) -> None:
        if self.detach_sources():
            self.close_sources()
            self.exit()
        else:
            self.notify("nothing to leave running: no live runs here", severity="warning")

    def on_unmount(self) -> None:
        self.close_sources()
