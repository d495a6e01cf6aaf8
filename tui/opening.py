"""The app's side of opening a screen (a mixin of `MemtopApp`): screens post requests
(tui/messages.py), and each is met in a thread worker that reads run files, checks a model
argument or starts an engine, then posts what it made (`SourceReady`, `DiffReady`) or why it
could not (`LoadFailed`). The event loop only draws and answers keys; none of these waits there
for a disk, keras-hub's preset list or a process start."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from memtop.engine.client import FollowSource, LiveSource, ReplaySource, Source
from memtop.engine.errors import UserError
from memtop.engine.spec import RunSpec
from memtop.engine.text import shown

from .messages import (
    Attach,
    AttachEngine,
    DiffReady,
    LoadFailed,
    OpenDiff,
    OpenReplay,
    SourceReady,
    StartBench,
)

if TYPE_CHECKING:
    from textual.app import App

    _Base = App
else:
    _Base = object


class Opening(_Base):
    runs_dir: str

    def open_source(self, source: Source) -> None:  # the app's: a dashboard on `source`
        raise NotImplementedError

    # ---- requests, met in workers --------------------------------------------------------

    def on_open_replay(self, request: OpenReplay) -> None:
        self.load_source(request.paths, request.follow)

    def on_open_diff(self, request: OpenDiff) -> None:
        self.load_diff(*request.paths)

    def on_start_bench(self, request: StartBench) -> None:
        self.start_bench(request)

    def on_attach_engine(self, request: AttachEngine) -> None:
        self.watch_engine(request.pid)

    def on_attach(self, request: Attach) -> None:
        self.attach_process(request.pid)

    # ---- what the workers made ------------------------------------------------------------

    def on_source_ready(self, ready: SourceReady) -> None:
        self.open_source(ready.source)

    def on_diff_ready(self, ready: DiffReady) -> None:
        from .screens.compare import CompareScreen

        self.push_screen(CompareScreen(ready.states))

    def on_load_failed(self, failure: LoadFailed) -> None:
        self.notify(shown(failure.problem), severity="error", markup=False)

    # ---- the workers ------------------------------------------------------------------------

    def _post_made(self, make: Callable[[], Message]) -> None:
        """What `make` made (in the worker's thread), or why it could not (`LoadFailed`)."""
        try:
            made = make()
        except UserError as exc:
            made = LoadFailed(str(exc))
        self.post_message(made)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False,
          description="reading run files for a replay")
    def load_source(self, paths: Sequence[str], follow: bool = False) -> None:
        from memtop.engine.store import read_run

        self._post_made(lambda: SourceReady(
            FollowSource(paths[0]) if follow else ReplaySource([read_run(p) for p in paths])))

    @work(thread=True, exclusive=True, group="open", exit_on_error=False,
          description="reading run files to compare")
    def load_diff(self, *paths: str) -> None:
        from memtop.engine.client import replayed_state
        from memtop.engine.store import read_run

        self._post_made(lambda: DiffReady([replayed_state(read_run(p)) for p in paths]))

    @work(thread=True, exclusive=True, group="open", exit_on_error=False,
          description="starting a benchmark")
    def start_bench(self, request: StartBench) -> None:
        """The model argument checked (keras-hub's preset list is read from its files), then a
        fresh engine started with the runs."""
        from memtop.engine.backends import parse_backends
        from memtop.engine.models.catalog import check_model_argument
        from memtop.engine.store import prepare_runs_dir

        def started() -> SourceReady:
            names = parse_backends(request.backends or None)
            check_model_argument(request.model, request.weights)
            prepare_runs_dir(self.runs_dir)
            return SourceReady(LiveSource([
                RunSpec(backend=b, model=request.model, weights=request.weights,
                        isolate=request.isolate, runs_dir=self.runs_dir) for b in names]))

        self._post_made(started)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False,
          description="attaching to an engine")
    def watch_engine(self, pid: int) -> None:
        """Its runs so far from their files (a thread: they can be long), then live."""
        from memtop.engine.client import EngineClient, engine_addresses

        def watched() -> SourceReady:
            address = next((a for a in engine_addresses() if a.pid == pid), None)
            if address is None:
                raise UserError(f"engine {pid} is not running (any more)")
            return SourceReady(LiveSource(client=EngineClient.attach(address)))

        self._post_made(watched)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False,
          description="attaching to a process")
    def attach_process(self, pid: int) -> None:
        from memtop.engine.probes.attach import check_attachable
        from memtop.engine.store import prepare_runs_dir

        def attached() -> SourceReady:
            name = check_attachable(pid)
            prepare_runs_dir(self.runs_dir)
            return SourceReady(LiveSource([RunSpec(backend="", model=name, attach_pid=pid,
                                                   runs_dir=self.runs_dir)]))

        self._post_made(attached)
