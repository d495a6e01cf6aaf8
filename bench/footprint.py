"""memtop's own memory: the engine and the headless CLI while they watch a run, and the TUI
process with four live runs (the synthetic source of tui_cpu.py, in tmux)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from common import MIB, emit

from memtop.engine.probes.process_tree import children
from memtop.engine.probes.procfs import read_status


def engine_of(cli_pid: int) -> int:
    """The engine: the memtop process's child that runs the engine's main."""
    for pid in children(cli_pid):
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"memtop.engine.monitor.daemon" in f.read():
                return pid
    raise RuntimeError("no engine process")


def rss_mb(pid: int) -> float:
    return round(read_status(pid).rss / MIB, 1)


def engine_and_cli(seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as runs:
        cli = subprocess.Popen([sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir",
                                runs, "--", "sleep", str(seconds + 3)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(seconds)
            engine = engine_of(cli.pid)
            figures = {"cli_rss_mb": rss_mb(cli.pid), "engine_rss_mb": rss_mb(engine)}
        finally:
            cli.wait(timeout=60)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    figures = engine_and_cli(5 if args.quick else 15)
    from tui_cpu import measure

    tui = measure(5 if args.quick else 15, 4, 200)
    emit({"bench": "footprint", **figures, "tui_rss_mb": tui["tui_rss_mb"],
          "python": sys.version.split()[0], "cpus": os.cpu_count()})


if __name__ == "__main__":
    main()
