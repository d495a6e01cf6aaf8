"""Nobody turns without cause (issue #29): the engine's loop turns rarely while no client draws
readings as they come, and is woken for what cannot wait (output, events, a run's end); a
client's reader thread waits for messages without turning, and is interrupted when it is to
stop. Real engines, sessions and sockets."""

from __future__ import annotations

import select
import sys
import threading
import time
from pathlib import Path

from memtop.engine import messages
from memtop.engine.client import EngineClient
from memtop.engine.monitor.loop import QUIET_TURN_S
from memtop.engine.monitor.waker import Inbox, Waker
from memtop.engine.spec import RunSpec


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def test_many_wakes_from_threads_write_one_byte_until_the_loop_clears():
    waker = Waker()
    try:
        assert not _readable(waker.fileno())
        threads = [threading.Thread(target=lambda: [waker.wake() for _ in range(500)])
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _readable(waker.fileno())
        waker.clear()
        assert not _readable(waker.fileno())  # one byte was all there was
        inbox = Inbox(waker.wake)
        inbox.append("a reading")  # waits for the turn
        assert not _readable(waker.fileno())
        inbox.urgent("output")
        assert _readable(waker.fileno()) and list(inbox) == ["a reading", "output"]
    finally:
        waker.close()


def test_an_interrupted_receive_returns_at_once_instead_of_at_its_timeout():
    client = EngineClient()
    try:
        returned: list[float] = []

        def receive() -> None:
            start = time.monotonic()
            while client.receive(30.0) is not None:  # the engine's first words, then waits
                pass
            returned.append(time.monotonic() - start)

        reader = threading.Thread(target=receive)
        reader.start()
        time.sleep(0.5)
        client.interrupt()
        reader.join(timeout=10)
        assert not reader.is_alive() and returned and returned[0] < 10
    finally:
        client.close()


PROGRAM = """
import os, sys, time
path = sys.argv[1]
print("ready", flush=True)
start = time.monotonic()
while not os.path.exists(path):
    time.sleep(0.001)
print(f"answered {time.monotonic() - start:.4f}", flush=True)
"""


def test_output_is_passed_on_as_it_comes_while_the_loop_turns_rarely(tmp_path: Path):
    """A client that asked for readings every 5 s (`memtop run --no-tui`): the loop turns when a
    commit is due (QUIET_TURN_S), but the program's output wakes it: the program's question is
    answered well within a quiet turn, and its end ends the run."""
    answer = tmp_path / "answer"
    spec = RunSpec(backend="", model="program", runs_dir=str(tmp_path),
                   command=[sys.executable, "-c", PROGRAM, str(answer)])
    client = EngineClient()
    client.pace(messages.PACE_MAX_S)
    client.submit([spec])
    said = b""
    finished = None
    deadline = time.monotonic() + 60
    try:
        while finished is None and time.monotonic() < deadline:
            message = client.receive(1.0)
            if message is None:
                continue
            if message["type"] == "output":
                said += message["data"]
                if b"ready" in said:
                    answer.touch()
            elif message["type"] == "finished":
                finished = message
    finally:
        client.close()
    assert finished is not None and finished["status"] == "done", finished
    waited = float(said.split(b"answered ")[1].split()[0])
    assert waited < QUIET_TURN_S * 0.6, said


def test_asking_an_engine_its_state_again_and_again_leaves_no_descriptor_behind():
    """The home screen asks the running engines at every refresh: each ask's client (socket and
    interrupt pipe) is closed whole."""
    import os

    from memtop.engine.client import engine_addresses, engine_state

    owner = EngineClient()
    try:
        deadline = time.monotonic() + 10
        while not (found := [a for a in engine_addresses() if a.pid == owner.pid]):
            assert time.monotonic() < deadline, "the engine has no socket"
            time.sleep(0.05)
        engine_state(found[0])
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(20):
            assert engine_state(found[0])["pid"] == owner.pid
        assert len(os.listdir("/proc/self/fd")) == before
    finally:
        owner.close()
