"""Stopping `memtop bench` mid-run: every process ends and the run file is kept, readable."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from memtop.engine.store import list_run_files, read_run

from conftest import needs_backend


def tagged_processes(tag: str) -> list[int]:
    """Processes whose environment carries the tag (memtop, its engine, its sessions)."""
    found = []
    marker = f"MEMTOP_TEST_TAG={tag}".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if marker in f.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            continue
    return found


def wait_for_a_stage(runs_dir, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in list_run_files(str(runs_dir)):
            try:
                if read_run(path).stages:
                    return path
            except Exception:
                pass
        time.sleep(0.2)
    raise AssertionError("no stage was recorded")


@needs_backend("torch")
@pytest.mark.backend
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_run_stops_everything(signum, runs_dir):
    tag = uuid.uuid4().hex
    # gpt2_base_en with random weights: long enough to be stopped in the middle.
    process = subprocess.Popen(
        [sys.executable, "-m", "memtop", "bench", "--backend", "torch", "--model",
         "gpt2_base_en", "--weights", "random", "--no-tui", "--runs-dir", str(runs_dir)],
        env={**os.environ, "MEMTOP_TEST_TAG": tag}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        # As a terminal starts it: a suite run as a background job inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        path = wait_for_a_stage(runs_dir)
        assert len(tagged_processes(tag)) >= 3  # memtop, its engine, the session
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    deadline = time.monotonic() + 5
    while tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tagged_processes(tag) == []
    run = read_run(path)
    # ctrl-c is the user's stop; a closed terminal and a `kill` are said as what they were.
    cause = {signal.SIGINT: "stopped by the user",
             signal.SIGTERM: "stopped: memtop was terminated (SIGTERM)",
             signal.SIGHUP: "stopped: the terminal closed (SIGHUP)"}[signum]
    assert run.meta["status"] == "killed" and run.meta["cause"] == cause
    assert run.samples() and run.stages
