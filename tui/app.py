"""The memtop Textual app: themes, global keys, and the screens it opens.

`MemtopApp(start=…)` is the one factory shared by the CLI and the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence
from typing import ClassVar, Literal

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Static

from memtop.engine.errors import UserError
from memtop.engine.replay import replayed_state
from memtop.engine.runspec import RunSpec
from memtop.engine.store import read_run

from .dashboard import DashboardScreen
from .sources import FollowSource, LiveSource, ReplaySource, Source
from .themes import DEFAULT_THEME, THEME_VARIABLES, load_themes

Start = Literal["home", "dashboard", "diff"]

HELP = """\
memtop keys

  q, ctrl+c   quit (stops the engine and every session)
  ?           this help          t   next theme
  tab, ↑/↓    move between cards  enter  open the run's detail
  e           event log (alarms, run ends, start-up problems)
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


class MemtopApp(App):
    CSS_PATH = "memtop.tcss"
    TITLE = "memtop"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("t", "next_theme", "Theme"),
    ]

    def __init__(self, start: Start = "home", source: Source | None = None,
                 diff_paths: Sequence[str] = (), runs_dir: str = "runs", theme: str | None = None,
                 ascii: bool = False) -> None:
        super().__init__()
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

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self.exit)
        for problem in self.startup_errors:
            self.notify(problem, title="theme", severity="error", timeout=10)
        if self.start == "dashboard" and self.initial_source is not None:
            self.open_source(self.initial_source)
        elif self.start == "diff":
            self.open_diff(*self.diff_paths)
        else:
            from .home import HomeScreen

            self.push_screen(HomeScreen(self.runs_dir))

    # ---- opening screens -------------------------------------------------------------------

    def open_source(self, source: Source) -> None:
        self.sources.append(source)
        self.push_screen(DashboardScreen(source, ascii=self.ascii))

    def open_replay(self, paths: Sequence[str], follow: bool = False) -> None:
        try:
            if follow:
                self.open_source(FollowSource(paths[0]))
            else:
                self.open_source(ReplaySource([read_run(p) for p in paths]))
        except UserError as exc:
            self.notify(str(exc), severity="error")

    def open_diff(self, a: str, b: str) -> None:
        from .diff import DiffScreen

        try:
            states = [replayed_state(read_run(p)) for p in (a, b)]
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return
        self.push_screen(DiffScreen(*states))

    def start_bench(self, backends: str, model: str, weights: str, isolate: bool) -> None:
        from memtop.engine.backends import parse_backends
        from memtop.engine.models import check_model_argument

        try:
            names = parse_backends(backends or None)
            check_model_argument(model, weights)
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return
        specs = [RunSpec(backend=b, model=model, weights=weights, isolate=isolate,
                         runs_dir=self.runs_dir) for b in names]
        self.open_source(LiveSource(specs))

    def attach(self, pid: int) -> None:
        from memtop.engine.attach import check_attachable

        try:
            name = check_attachable(pid)
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return
        self.open_source(LiveSource([RunSpec(backend="", model=name, attach_pid=pid,
                                             runs_dir=self.runs_dir)]))

    # ---- global actions --------------------------------------------------------------------

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
                source.close()
        self.sources.clear()

    async def action_quit(self) -> None:
        self.close_sources()
        self.exit()

    def on_unmount(self) -> None:
        self.close_sources()
