"""One receive loop (#28): the headless printer (`--no-tui`), the pass-through (`memtop run
--no-tui`) and the dashboard all consume a `LiveSource`, so one recorded engine stream folds into
the same state in each. The stream is recorded from a real engine running a real program; it is
played back at the `RunsClient` boundary (the one place a view meets whoever runs its runs)."""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Iterable

import pytest

from memtop.cli.headless import run_headless
from memtop.cli.through import run_through
from memtop.engine.client import EngineClient, LiveSource, RunBoard, RunState, fold
from memtop.engine.messages import Message
from memtop.engine.spec import RunSpec
from memtop.tui.app import MemtopApp

from tui_support import wait_until

PROGRAM = """
import memtop, sys
with memtop.stage("load"):
    data = bytearray(40 * 2**20)
print("loaded", flush=True)
with memtop.stage("use"):
    more = bytearray(20 * 2**20)
print("used", file=sys.stderr, flush=True)
sys.exit(3)
"""


class RecordedClient:
    """A recorded engine stream handed out as an engine client would (`RunsClient`)."""

    can_detach = True
    pid = None

    def __init__(self, stream: Iterable[Message]) -> None:
        self._left = deque(stream)
        self.exited = False

    def submit(self, specs, parallel: int = 1, stdin: int | None = None) -> None:
        pass  # the runs are in the recording

    def receive(self, timeout: float) -> Message | None:
        if self._left:
            return self._left.popleft()
        if not self.exited:
            self.exited = True
            return {"type": "exited"}
        time.sleep(timeout)
        return None

    def interrupt(self) -> None:
        pass

    def stop(self, why: str = "user") -> None:
        pass

    def pace(self, every_s: float) -> None:
        pass

    def mark(self, run_id: str, name: str) -> None:
        pass

    def detach(self) -> None:
        pass

    def close(self, timeout: float = 15.0, why: str = "user") -> None:
        pass


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[RunSpec, list[Message]]:
    spec = RunSpec(backend="", model="program", command=[sys.executable, "-c", PROGRAM],
                   runs_dir=str(tmp_path_factory.mktemp("runs")))
    client = EngineClient()
    client.submit([spec])
    stream: list[Message] = []
    deadline = time.monotonic() + 120
    try:
        while not stream or stream[-1]["type"] not in ("idle", "exited"):
            assert time.monotonic() < deadline, "the program's run did not end"
            message = client.receive(0.1)
            if message is not None:
                stream.append(message)
    finally:
        client.close()
    return spec, stream


def folded(state: RunState) -> tuple:
    """What a view shows of a run, but its output (the pass-through writes that through)."""
    return (state.run_id, state.status, state.cause, state.peak, state.rss,
            [(s.get("name"), s.get("peak")) for s in state.stages], len(state.markers))


def test_the_headless_printer_the_pass_through_and_the_dashboard_fold_one_stream_alike(
        recorded, capfd):
    spec, stream = recorded
    [expected] = fold(stream).runs
    assert expected.status == "failed" and len(expected.stages) >= 2  # a real run was recorded

    headless = RunBoard()
    code = run_headless(LiveSource([spec], client=RecordedClient(stream)), [spec],
                        tables=False, board=headless)
    assert code == 3  # the program's own exit code, from the stream's `finished`

    through = RunBoard()
    paths: list[str] = []
    code = run_through(spec, paths, client=RecordedClient(stream), board=through)
    written = capfd.readouterr()
    assert code == 3 and paths == [expected.path]
    assert "loaded" in written.out and "used" in written.err  # the output, written through

    async def dashboard() -> RunBoard:
        app = MemtopApp(start="dashboard", source=LiveSource([spec],
                                                             client=RecordedClient(stream)))
        async with app.run_test(size=(120, 40)) as pilot:
            board = app.screen.board
            await wait_until(pilot, lambda: board.runs and board.runs[0].status == "failed")
            await pilot.press("q")
        return board

    import asyncio

    shown = asyncio.run(dashboard())
    for board in (headless, through, shown):
        [state] = board.runs
        assert folded(state) == folded(expected)
    assert shown.runs[0].log == expected.log  # the views that show output keep all of it
