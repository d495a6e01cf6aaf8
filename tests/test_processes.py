"""The process list for attaching: real processes, biggest first."""

import os
import subprocess
import sys

from memtop.engine.probes.processes import list_processes


def test_lists_a_big_child_near_the_top_and_sorted():
    child = subprocess.Popen([sys.executable, "-c",
                              "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]);"
                              "import time; time.sleep(30)"])
    try:
        import time

        deadline = time.monotonic() + 10
        found = None
        while time.monotonic() < deadline and found is None:
            found = next((p for p in list_processes() if p.pid == child.pid and
                          p.rss > 250 * 2**20), None)
            time.sleep(0.1)
        processes = list_processes()
        assert found is not None and "bytearray" in found.command
        assert [p.rss for p in processes] == sorted((p.rss for p in processes), reverse=True)
        assert all(p.pid != os.getpid() for p in processes)
    finally:
        child.kill()
        child.wait()
