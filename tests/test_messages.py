"""The engine's batches: one write a turn, handed on by the engine client one by one, in order,
with anything that is not one of memtop's messages dropped."""

from __future__ import annotations

import itertools
import socket
from multiprocessing.connection import Connection

from memtop.engine import messages
from memtop.engine.client.engine_client import EngineClient


def test_unbatched_keeps_memtop_messages_only() -> None:
    good = messages.samples("r", [1.0], [4096], [4096])
    batch = messages.batch([good, {"type": "nonsense"}, "text", messages.batch([good]),
                            messages.idle()])
    assert messages.unbatched(batch) == [good, messages.idle()]
    assert messages.unbatched({"type": "batch", "messages": "not a list"}) == []
    assert messages.unbatched(good) == [good]


def test_client_hands_on_a_batch_in_order() -> None:
    ours, theirs = socket.socketpair()
    engine_side = Connection(theirs.detach())
    client = EngineClient(Connection(ours.detach()))
    sent = [messages.samples("r", [float(i)], [i], [i]) for i in range(5)]
    engine_side.send_bytes(messages.encode(messages.batch(
        [messages.engine(1, 0.0, None, 1, [], []), *sent[:3]])))
    engine_side.send_bytes(messages.encode(messages.batch(sent[3:])))
    engine_side.send_bytes(messages.encode(messages.exited()))
    received = []
    while (message := client.receive(2.0)) is not None and message["type"] != "exited":
        received.append(message)
    assert received == sent
    assert client.info is not None and client.info["pid"] == 1  # kept, not handed on
    engine_side.close()
    client.conn.close()


def test_a_paced_client_gets_readings_gathered_and_all_of_them(tmp_path):
    """`pace`: readings come at most every so often, in one write, none lost; a message that
    is not a reading (the run's end) brings the gathered ones along at once, before it."""
    import sys
    import time

    from memtop.engine.spec import RunSpec
    from memtop.engine.store import read_run

    client = EngineClient()
    client.pace(1.0)
    spec = RunSpec(backend="", model="paced", runs_dir=str(tmp_path), interval_ms=5,
                   command=[sys.executable, "-c", "import time; time.sleep(3.5)"])
    client.submit([spec])
    arrivals: list[float] = []  # when each samples message was handed out
    times: list[float] = []
    kinds: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message = client.receive(0.5)
        if message is None:
            continue
        kinds.append(message["type"])
        if message["type"] == "samples":
            arrivals.append(time.monotonic())
            times.extend(message["t"])
        if message["type"] == "finished":
            path = message["path"]
            break
    client.close()
    # Gathered: bursts apart by about a second (an unpaced stream, ten a second, is one burst).
    bursts = 1 + sum(1 for a, b in itertools.pairwise(arrivals) if b - a > 0.3)
    assert 2 <= bursts <= 6, bursts
    assert kinds.index("finished") > max(i for i, k in enumerate(kinds) if k == "samples")
    assert times == sorted(times) and len(times) == len(read_run(path).samples())
