"""The engine's batches: one write a turn, handed on by the engine client one by one, in order,
with anything that is not one of memtop's messages dropped."""

from __future__ import annotations

import socket
from multiprocessing.connection import Connection

from memtop.engine import messages
from memtop.engine.client.engine_client import EngineClient


def test_unbatched_keeps_memtop_messages_only() -> None:
    good = messages.samples("r", [1.0], [4096])
    batch = messages.batch([good, {"type": "nonsense"}, "text", messages.batch([good]),
                            messages.idle()])
    assert messages.unbatched(batch) == [good, messages.idle()]
    assert messages.unbatched({"type": "batch", "messages": "not a list"}) == []
    assert messages.unbatched(good) == [good]


def test_client_hands_on_a_batch_in_order() -> None:
    ours, theirs = socket.socketpair()
    engine_side = Connection(theirs.detach())
    client = EngineClient(Connection(ours.detach()))
    sent = [messages.samples("r", [float(i)], [i]) for i in range(5)]
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
