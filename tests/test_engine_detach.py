"""An engine outlives the memtop that started it when told to (issue #14): it goes on with its
runs without a client, others attach to it through its socket and see the runs' history then
live messages, any of them may stop it, and it ends by itself once it has no run and no client.
Real engines, sessions, sockets and run files throughout."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import msgpack
import pytest

from memtop.engine.client import EngineAddress, EngineClient, engine_addresses, fold, runtime_dir
from memtop.engine.errors import UserError
from memtop.engine.spec import RunSpec
from memtop.engine.store import list_run_files, read_run

from conftest import HELPERS, run_memtop

WAITER = str(HELPERS / "until_released.py")


def waiting_specs(runs_dir: Path, release: Path, count: int = 1) -> list[RunSpec]:
    return [RunSpec(backend="", model=f"waiter-{i}", runs_dir=str(runs_dir),
                    command=[sys.executable, WAITER, str(release)]) for i in range(count)]


def receive_until(client: EngineClient, kind: str, timeout: float = 30) -> list[dict]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = client.receive(0.1)
        if message is not None:
            seen.append(message)
            if message["type"] == kind:
                return seen
    raise AssertionError(f"no {kind!r} within {timeout} s; saw {[m['type'] for m in seen]}")


def address_of(pid: int) -> EngineAddress:
    found = [a for a in engine_addresses() if a.pid == pid]
    assert found, f"engine {pid} has no socket in {runtime_dir()}"
    return found[0]


def wait_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.path.exists(f"/proc/{pid}") or _zombie(pid):
            return True
        time.sleep(0.1)
    return False


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_detached_engine_finishes_its_runs_then_ends_by_itself(runs_dir, tmp_path):
    release = tmp_path / "release"
    client = EngineClient()
    client.submit(waiting_specs(runs_dir, release, count=2))
    receive_until(client, "started")
    pid = client.pid
    client.detach()
    assert address_of(pid)  # listed while it runs with no client
    time.sleep(0.5)
    assert not wait_gone(pid, timeout=0.5), "the engine went with its client"
    release.touch()
    assert wait_gone(pid, timeout=60), "the engine did not end once its runs were done"
    client.process.wait(5)
    runs = [read_run(p) for p in list_run_files(str(runs_dir))]
    assert [r.meta["status"] for r in runs] == ["done", "done"]
    assert all([s["name"] for s in r.stages] == ["waiting", "released"] for r in runs)
    assert not [a for a in engine_addresses() if a.pid == pid]  # its socket went with it


def test_a_client_that_goes_without_detaching_stops_the_runs(runs_dir, tmp_path):
    client = EngineClient()
    client.submit(waiting_specs(runs_dir, tmp_path / "never"))
    receive_until(client, "started")
    client.conn.close()  # as if it was killed: it never said to leave the runs running
    assert wait_gone(client.process.pid, timeout=30)
    client.process.wait(5)
    assert read_run(list_run_files(str(runs_dir))[0]).meta["status"] == "killed"


def test_an_attached_client_gets_the_history_then_live_messages_and_may_stop(runs_dir, tmp_path):
    release = tmp_path / "release"
    owner = EngineClient()
    owner.submit(waiting_specs(runs_dir, release, count=2))
    receive_until(owner, "stage")  # the first run is waiting: one stage so far
    watcher = EngineClient.attach(address_of(owner.pid))
    assert watcher.info["clients"] == 2 and len(watcher.info["queued"]) == 1
    history = []
    while watcher._pending:
        history.append(watcher.receive(0))
    board = fold(history)
    assert [r.status for r in board.runs] == ["running", "queued"]
    assert [s["name"] for s in board.runs[0].stages] == ["waiting"]
    release.touch()
    live = receive_until(watcher, "idle", timeout=60)
    for message in live:
        board.apply(message)
    assert [r.status for r in board.runs] == ["done", "done"]
    assert [s["name"] for s in board.runs[0].stages] == ["waiting", "released"]  # none twice
    watcher.close()  # a watcher going stops nothing, and the owner still hears the engine
    receive_until(owner, "idle")
    owner.submit(waiting_specs(runs_dir, tmp_path / "never"))
    receive_until(owner, "started")
    second = EngineClient.attach(address_of(owner.pid))
    second.stop()  # any client may stop the runs
    ends = receive_until(owner, "finished")
    assert ends[-1]["status"] == "killed"
    second.close()
    owner.close()


def test_a_dead_engine_s_socket_is_cleaned_up_and_named_engines_must_exist(tmp_path):
    path = os.path.join(runtime_dir(), "engine-999999.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()  # bound, never listened on: what a killed engine leaves
    empty_log, said_log = (os.path.join(runtime_dir(), f"engine-{p}.log") for p in (999999,
                                                                                    999997))
    Path(empty_log).touch()
    Path(said_log).write_text("Traceback: the engine failed\n")
    result = run_memtop("ps")
    assert result.returncode == 0 and "no memtop engine is running" in result.stdout
    assert not os.path.exists(path) and not os.path.exists(empty_log)
    assert f"left messages in {said_log}" in result.stdout
    os.unlink(said_log)
    for command in (["attach-engine"], ["attach-engine", "12345"], ["stop", "12345"]):
        result = run_memtop(*command)
        assert result.returncode == 2, command
        assert len(result.stderr.strip().splitlines()) == 1 and "no memtop engine" in \
            result.stderr
    with pytest.raises(UserError, match="not running"):
        EngineClient.attach(EngineAddress(999998, path))


def test_run_detach_ps_and_stop_from_the_command_line(runs_dir, tmp_path):
    result = run_memtop("run", "--detach", "--runs-dir", str(runs_dir), "--", sys.executable,
                        WAITER, str(tmp_path / "never"), timeout=60)
    assert result.returncode == 0, result.stderr
    pid = int(result.stdout.split("engine ")[1].split()[0].rstrip(":,"))
    assert f"memtop attach-engine {pid}" in result.stdout
    listing = run_memtop("ps")
    assert f"engine {pid}" in listing.stdout and "run: until_released.py" in listing.stdout
    assert "running" in listing.stdout
    stopped = run_memtop("stop", str(pid), timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    assert wait_gone(pid, timeout=10)
    assert read_run(list_run_files(str(runs_dir))[0]).meta["status"] == "killed"


NOBODY = 65534
# A client of another user, in plain Python (it cannot read memtop's virtual environment): asks
# for the engine's state and says what came back.
OTHER_USER_CLIENT = """
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("no entry"); sys.exit()
request = bytes.fromhex(sys.argv[2])
s.settimeout(5)
try:
    s.sendall(struct.pack("!i", len(request)) + request)
    print("answered" if s.recv(4) else "refused")
except (ConnectionResetError, BrokenPipeError):
    print("refused")
"""


@pytest.mark.skipif(os.getuid() != 0, reason="becoming another user needs root")
def test_another_user_is_refused(runs_dir, tmp_path):
    client = EngineClient()
    try:
        receive_until_info(client)
        path = client.info["socket"]
        request = msgpack.packb({"type": "info"}).hex()

        def as_nobody() -> str:
            done = subprocess.run(
                ["/usr/bin/python3", "-c", OTHER_USER_CLIENT, path, request],
                capture_output=True, text=True, timeout=30, cwd="/",
                preexec_fn=lambda: (os.setgid(NOBODY), os.setuid(NOBODY)))
            assert not done.stderr, done.stderr
            return done.stdout.strip()

        assert as_nobody() == "no entry"  # the folder (0700) and the socket (0600)
        folders = [os.path.dirname(path)]
        while folders[-1] != "/":
            folders.append(os.path.dirname(folders[-1]))
        modes = {f: os.stat(f).st_mode for f in [*folders, path]}
        try:  # the modes loosened: the engine itself checks who calls (SO_PEERCRED)
            for folder in folders:
                os.chmod(folder, modes[folder] | 0o011)
            os.chmod(path, 0o666)
            assert as_nobody() == "refused"
        finally:
            for item, mode in modes.items():
                os.chmod(item, mode)
        assert EngineClient.attach(address_of(client.pid)).info["pid"] == client.pid  # us: yes
    finally:
        client.close()


def receive_until_info(client: EngineClient, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while client.info is None and time.monotonic() < deadline:
        client.receive(0.1)
    assert client.info is not None


def test_run_no_tui_keep_on_hangup_leaves_the_program_running(runs_dir, tmp_path):
    release = tmp_path / "release"
    memtop = subprocess.Popen(
        [sys.executable, "-m", "memtop", "run", "--no-tui", "--keep-on-hangup", "--runs-dir",
         str(runs_dir), "--", sys.executable, WAITER, str(release)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert memtop.stdout.readline().startswith("waiting for")  # passed through: it runs
        memtop.send_signal(signal.SIGHUP)
        assert memtop.wait(20) == 0
        [address] = engine_addresses()
        release.touch()
        assert wait_gone(address.pid, timeout=30)
    finally:
        memtop.kill()
        memtop.wait()
    run = read_run(list_run_files(str(runs_dir))[0])
    assert run.meta["status"] == "done" and [s["name"] for s in run.stages][-1] == "released"
