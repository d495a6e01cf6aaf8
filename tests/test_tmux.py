"""End to end in a real terminal: `memtop bench` (tiny GPT-2, torch) inside tmux."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
from test_shutdown import tagged_processes

from memtop.engine.store import list_run_files, read_run

from conftest import needs_backend

pytestmark = [
    pytest.mark.backend,
    needs_backend("torch"),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed"),
]


class Tmux:
    def __init__(self, command: str, tag: str) -> None:
        self.socket = f"memtop-test-{uuid.uuid4().hex[:8]}"
        env = f"env MEMTOP_TEST_TAG={tag} TERM=xterm-256color LANG=C.UTF-8"
        self._run("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", f"{env} {command}")

    def _run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=False).stdout

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self._run("send-keys", "-t", "t", *keys)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")

    def hang_up(self) -> None:
        """Like a dropped SSH connection: the terminal goes away (SIGHUP to the program)."""
        self._run("kill-server")


def bench_command(runs_dir) -> str:
    return (f"{sys.executable} -m memtop bench --backend torch --model gpt2_tiny "
            f"--runs-dir {runs_dir}; echo MEMTOP-EXIT=$?; sleep 30")


def wait_until_gone(tag: str, timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in tagged_processes(tag) if not _is_shell_or_sleep(p)]
        if not left:
            return []
        time.sleep(0.2)
    return left


def _is_shell_or_sleep(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0")[0]
    except OSError:
        return True
    return os.path.basename(argv0) in (b"sh", b"bash", b"sleep", b"env")


def test_the_card_appears_the_run_finishes_and_q_quits(runs_dir):
    tag = uuid.uuid4().hex
    tmux = Tmux(bench_command(runs_dir), tag)
    try:
        tmux.wait_for("torch · gpt2_tiny", timeout=30)
        screen = tmux.wait_for("done", timeout=120)
        assert "stage final" in screen
        tmux.keys("q")
        screen = tmux.wait_for("MEMTOP-EXIT=0", timeout=30)
        assert "run files:" in screen
        assert wait_until_gone(tag) == []
    finally:
        tmux.hang_up()
    run = read_run(list_run_files(str(runs_dir))[0])
    assert run.meta["status"] == "done"


def memtop_pid(tag: str) -> int:
    for pid in tagged_processes(tag):
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        if b"memtop" in argv and b"bench" in argv:
            return pid
    raise AssertionError("memtop is not running")


@pytest.mark.parametrize("how", ["hang-up", "ctrl-c", "sigterm"])
def test_stopping_mid_run_stops_everything_and_keeps_the_run(runs_dir, how):
    tag = uuid.uuid4().hex
    tmux = Tmux(bench_command(runs_dir).replace("gpt2_tiny", "gpt2_base_en --weights random"),
                tag)
    try:
        tmux.wait_for("now loading the model", timeout=60)
        assert len(tagged_processes(tag)) >= 3  # memtop, its engine, the session
        if how == "hang-up":
            tmux.hang_up()  # like a dropped SSH connection: SIGHUP
        elif how == "ctrl-c":
            tmux.keys("C-c")
            tmux.wait_for("MEMTOP-EXIT=1", timeout=30)  # 1: not every run completed
        else:
            os.kill(memtop_pid(tag), signal.SIGTERM)
            tmux.wait_for("MEMTOP-EXIT=1", timeout=30)
        assert wait_until_gone(tag) == []
    finally:
        tmux.hang_up()
    run = read_run(list_run_files(str(runs_dir))[0])
    assert run.meta["status"] == "killed" and run.stages and run.samples()
    # The TUI says how it was stopped: a dropped terminal is no user's stop (#27, 6).
    assert run.meta["cause"] == {"hang-up": "stopped: the terminal closed (SIGHUP)",
                                 "ctrl-c": "stopped by the user",
                                 "sigterm": "stopped: memtop was terminated (SIGTERM)"}[how]
