"""`memtop attach PID`: watching a process memtop did not start, to its end."""

import os
import shutil
import subprocess
import sys
import time

import pytest

from memtop.engine.client import EngineClient
from memtop.engine.spec import RunSpec
from memtop.engine.store import read_run

from conftest import HELPERS, MIB, run_memtop, show_json


def test_attach_follows_a_child_to_its_exit_status(runs_dir):
    child = subprocess.Popen([sys.executable, str(HELPERS / "grow_and_exit.py"), "3"])
    try:
        result = run_memtop("attach", str(child.pid), "--no-tui", "--runs-dir", str(runs_dir),
                            timeout=60)
        # Not reaped yet: memtop read how it ended from /proc while it was a zombie.
        run = show_json(runs_dir)
    finally:
        child.wait()
    assert result.returncode == 1, result.stderr  # the run failed: exit status 3
    assert run["status"] == "failed" and run["cause"] == "exited with status 3"
    assert run["summary"]["peak_mb"] >= 8 * 50
    samples = read_run(run["path"]).samples()
    assert len(samples) > 100
    assert max(row[1] for row in samples) >= 8 * 50 * MIB


def test_a_manual_marker_on_an_attached_process_has_an_exact_peak(runs_dir):
    child = subprocess.Popen([sys.executable, str(HELPERS / "grow_and_exit.py"), "0"])
    client = EngineClient()
    try:
        client.submit([RunSpec(backend="", model="grow", attach_pid=child.pid,
                               runs_dir=str(runs_dir))])
        run_id, finished = None, None
        while finished is None:
            message = client.receive(30)
            assert message is not None
            if message["type"] == "started":
                run_id = message["run"]
                time.sleep(0.8)
                client.mark(run_id, "first")
            elif message["type"] == "finished":
                finished = message
    finally:
        client.close()
        child.wait()
    assert finished["status"] == "done"
    run = read_run(finished["path"])
    assert [s["name"] for s in run.stages] == ["first"]
    stage = run.stages[0]
    assert stage["manual"] and stage["peak_exact"] and stage["peak"] >= stage["rss"]


def test_unknown_pid_and_kernel_thread_are_one_line_errors():
    for pid, fragment in (("999999999", "no process with PID"), ("2", "kernel thread")):
        result = run_memtop("attach", pid)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert fragment in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or
                    not shutil.which("setpriv"), reason="needs root, unshare and setpriv")
def test_an_unreadable_pid_is_a_one_line_error(tmp_path):
    # A private /proc with hidepid=1: another user's /proc/PID files cannot be read, as on
    # hardened shared servers. memtop runs as nobody and tries to attach to PID 1 (root's).
    script = ("mount -t proc -o hidepid=1 proc /proc && "
              f"setpriv --reuid=65534 --regid=65534 --clear-groups "
              f"{sys.executable} -m memtop attach 1")
    result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "memtop: error: cannot read the memory of PID 1 (permission denied): it belongs to "
        "another user; run memtop as that user or as root")


def test_attaching_to_a_zombie_says_it_has_exited():
    parent = subprocess.Popen([sys.executable, "-c",
                               "import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\n"
                               "print(pid, flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        zombie = int(parent.stdout.readline())
        time.sleep(0.3)
        result = run_memtop("attach", str(zombie), "--no-tui")
        assert result.returncode == 2 and "already exited (a zombie" in result.stderr
    finally:
        parent.kill()
        parent.wait()
