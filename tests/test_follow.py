"""Following a run file while another memtop writes it (how a dropped SSH session gets its view
back): the follower sees the run grow and end, through the same messages as a live view."""

import sys
import time

from memtop.engine.client import EngineClient, FollowSource, RunBoard
from memtop.engine.spec import RunSpec
from memtop.tui.app import MemtopApp
from memtop.tui.widgets.run_card import RunCard

from conftest import HELPERS


def start_writer(runs_dir) -> tuple[EngineClient, str]:
    client = EngineClient()
    client.submit([RunSpec(backend="", model="", runs_dir=str(runs_dir),
                           command=[sys.executable, str(HELPERS / "slow_stages.py")])])
    while True:
        message = client.receive(30)
        assert message is not None
        if message["type"] == "started":
            return client, message["path"]


async def test_follow_shows_a_run_another_memtop_is_writing(runs_dir):
    client, path = start_writer(runs_dir)
    try:
        app = MemtopApp(start="dashboard", source=FollowSource(path))
        async with app.run_test(size=(100, 30)) as pilot:
            deadline = time.monotonic() + 20
            card = None
            while time.monotonic() < deadline:
                await pilot.pause(0.25)
                cards = list(app.screen.query(RunCard))
                if cards and cards[0].state.status == "done":
                    card = cards[0]
                    break
            assert card is not None, "the followed run never finished"
            assert [s["name"] for s in card.state.stages] == ["one", "two", "three"]
            assert len(card.state.rss_history) > 10
    finally:
        client.close()


def test_the_follower_sees_rows_as_they_are_committed(runs_dir):
    client, path = start_writer(runs_dir)
    try:
        source = FollowSource(path)
        board = RunBoard()
        seen_running_with_stage = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (board.runs and board.runs[0].status == "done"):
            for message in source.poll():
                board.apply(message)
            if board.runs and board.runs[0].status == "running" and board.runs[0].stages:
                seen_running_with_stage = True
            time.sleep(0.1)
        assert seen_running_with_stage  # it followed the run while it was being written
        assert board.runs[0].status == "done"
        source.close()
    finally:
        client.close()


def test_a_follower_says_when_the_writing_engine_was_killed(runs_dir):
    import os
    import signal

    from memtop.engine.store import BenchFollower

    client, path = start_writer(runs_dir)
    follower = BenchFollower(path)
    try:
        board = RunBoard()
        for message in follower.poll():
            board.apply(message)
        assert board.runs[0].status == "running"
        os.kill(client.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while board.runs[0].status == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
            for message in follower.poll():
                board.apply(message)
        assert board.runs[0].status == "interrupted"
    finally:
        follower.close()
        client.close()
