"""The engine never waits for a client (issue #26, 4): one that stops reading, one that sends
half a message or an impossible one, and one that asks nonsense cost the runs nothing. Real
engines, sessions, sockets and run files; the misbehaving clients are raw sockets, as an
attacker's would be."""

from __future__ import annotations

import itertools
import socket
import struct
import sys
import time

import msgpack
from test_engine_detach import address_of, receive_until, wait_gone, waiting_specs

from memtop.engine.client import EngineClient
from memtop.engine.client.engines import engine_state
from memtop.engine.spec import RunSpec
from memtop.engine.store import read_run

# Prints 16 KiB every 10 ms until released: a stopped client's socket is full in a fraction of
# a second.
LOUD = ("import os, sys, time\n"
        "while not os.path.exists(sys.argv[1]):\n"
        "    sys.stdout.write('x' * 16383 + '\\n'); sys.stdout.flush(); time.sleep(0.01)\n")


def frame(message: dict) -> bytes:
    body = msgpack.packb(message, use_bin_type=True)
    return struct.pack("!i", len(body)) + body


def raw_client(pid: int, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(address_of(pid).path)
    return sock


def read_all(sock: socket.socket, timeout: float) -> tuple[list[dict], bool]:
    """Every message the engine sends within `timeout` (batches opened), and whether it closed
    the connection."""
    sock.settimeout(0.2)
    data, closed = bytearray(), False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            continue
        if not chunk:
            closed = True
            break
        data += chunk
    found = []
    while len(data) >= 4:
        (size,) = struct.unpack_from("!i", data)
        if len(data) < 4 + size:
            break
        message = msgpack.unpackb(bytes(data[4:4 + size]), raw=False)
        del data[:4 + size]
        found.extend(message["messages"] if message["type"] == "batch" else [message])
    return found, closed


def detached_engine(specs: list[RunSpec]) -> int:
    owner = EngineClient()
    owner.submit(specs)
    receive_until(owner, "started")
    pid = owner.pid
    owner.detach()  # the engine goes on without it: only the test's raw clients remain
    return pid


def test_a_stopped_client_and_half_sent_messages_cost_no_reading(runs_dir, tmp_path):
    release = tmp_path / "release"
    spec = RunSpec(backend="", model="loud", runs_dir=str(runs_dir), interval_ms=5,
                   command=[sys.executable, "-c", LOUD, str(release)])
    pid = detached_engine([spec])
    stopped = raw_client(pid, receive_buffer=4096)  # a ctrl-Z'd terminal: never reads
    stopped.sendall(frame({"type": "attach"}))
    half = raw_client(pid)
    half.sendall(struct.pack("!i", 100) + b"ab")  # 100 bytes promised, 2 sent
    answers = []
    for _ in range(10):  # `memtop ps` answers throughout the 10 s
        time.sleep(1.0)
        asked = time.monotonic()
        state = engine_state(address_of(pid))
        answers.append(time.monotonic() - asked)
        assert state["runs"][0]["status"] == "running"
    assert max(answers) < 1.0, answers
    # The half-sent message timed out: refused, and the connection closed.
    said, closed = read_all(half, 2.0)
    assert closed and said[-1]["type"] == "refused" and "not finished" in said[-1]["message"]
    # The stopped client, reading again, was told what it missed and where to find it.
    said, _ = read_all(stopped, 3.0)
    gaps = [m for m in said if m["type"] == "gap"]
    assert gaps and all(m["t1"] > m["t0"] for m in gaps), [m["type"] for m in said][:20]
    stopped.close()
    release.touch()
    assert wait_gone(pid, 60)
    (path,) = runs_dir.glob("*.db")
    run = read_run(str(path))
    times = [row[0] for row in run.samples()]
    assert run.meta["status"] == "done" and times[-1] - times[0] > 10
    assert max(b - a for a, b in itertools.pairwise(times)) < 0.5


def test_an_impossible_frame_is_refused_and_the_connection_closed(runs_dir, tmp_path):
    release = tmp_path / "release"
    pid = detached_engine(waiting_specs(runs_dir, release))
    for header in (struct.pack("!i", 2_000_000_000), struct.pack("!i", -5),
                   struct.pack("!i", -1) + struct.pack("!Q", 1 << 40)):
        sock = raw_client(pid)
        sock.sendall(header)
        said, closed = read_all(sock, 5.0)
        assert closed and said[-1]["type"] == "refused", said
        sock.close()
    assert engine_state(address_of(pid))["runs"][0]["status"] == "running"
    release.touch()
    assert wait_gone(pid, 60)


BAD_REQUESTS = [
    ({"type": "submit", "runs": 5, "parallel": 1}, "'runs' must be a list"),
    ({"type": "submit", "runs": [{"backend": ""}], "parallel": "x"}, "'parallel'"),
    ({"type": "submit", "runs": [{"model": "no backend"}], "parallel": 1}, "no backend"),
    ({"type": "submit", "runs": [{"backend": "", "interval_ms": "fast"}]}, "'interval_ms'"),
    ({"type": "submit", "runs": [{"backend": "", "interval_ms": 1e-9}]}, "outside"),
    ({"type": "submit", "runs": [{"backend": "", "env": {"A": 1}}]}, "'env'"),
    ({"type": "submit", "runs": [{"backend": "", "command": "ls"}]}, "'command'"),
    ({"type": "mark", "run": None, "name": "x"}, "mark"),
    ({"type": "pace", "every_s": float("nan")}, "pace"),
    ({"type": "stop", "why": "bored"}, "'why' must be one of"),
    ({"type": "shutdown"}, "not a memtop message"),
    ({"type": "queued", "id": "x", "spec": {}}, "not something a client asks"),
    ({"kind": "info"}, "not a memtop message"),
]


def test_each_malformed_request_is_refused_and_changes_nothing(runs_dir, tmp_path):
    release = tmp_path / "release"
    pid = detached_engine(waiting_specs(runs_dir, release))
    for request, said_as in BAD_REQUESTS:
        sock = raw_client(pid)
        sock.sendall(frame(request) + frame({"type": "info"}))  # the connection still answers
        said, closed = read_all(sock, 1.5)
        kinds = [m["type"] for m in said]
        assert kinds[:2] == ["refused", "engine"] and not closed, (request, kinds)
        assert said_as in said[0]["message"], (request, said[0])
        assert len(said[1]["runs"]) == 1 and not said[1]["queued"]  # nothing was queued
        sock.close()
    # A submit that promises a descriptor and sends more bytes instead: refused, and closed
    # (nothing after it can be read as messages).
    sock = raw_client(pid)
    sock.sendall(frame({"type": "submit", "runs": [{"backend": ""}], "parallel": 1,
                        "stdin": True}) + frame({"type": "info"}))
    said, closed = read_all(sock, 3.0)
    assert closed and said[-1]["type"] == "refused" and "descriptor" in said[-1]["message"]
    state = engine_state(address_of(pid))
    assert state["runs"][0]["status"] == "running" and not state["queued"]
    release.touch()
    assert wait_gone(pid, 60)
    (path,) = runs_dir.glob("*.db")
    run = read_run(str(path))
    assert run.meta["status"] == "done" and run.meta["returncode"] == 0



def test_an_engine_client_that_fell_behind_fills_the_gap_from_the_run_file(runs_dir, tmp_path):
    release = tmp_path / "release"
    spec = RunSpec(backend="", model="loud", runs_dir=str(runs_dir), interval_ms=5,
                   command=[sys.executable, "-c", LOUD, str(release)])
    pid = detached_engine([spec])
    watcher = EngineClient.attach(address_of(pid))
    time.sleep(5.0)  # not reading: the engine skips it, and says so when it reads again
    times: list[float] = []
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        message = watcher.receive(0.1)
        if message is not None and message["type"] == "samples":
            times.extend(message["t"])
    release.touch()
    watcher.close()
    assert wait_gone(pid, 60)
    assert times == sorted(times) and times[-1] - times[0] > 8
    assert max(b - a for a, b in itertools.pairwise(times)) < 0.5  # no hole where it was behind
