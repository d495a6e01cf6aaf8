"""CPU share of the TUI process with 4 synthetic live runs sampled at 200 Hz.

    python bench/tui_cpu.py [--seconds 20] [--runs 4] [--hz 200]

Starts the real memtop app inside tmux (a real terminal, 120x40) fed by a synthetic source that
sends what the engine sends for N runs sampled at HZ (sample batches every 50 ms, status readings at
20 Hz, a stage every few seconds), then reads the app process's CPU time from /proc over the
measuring window. Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

from memtop.engine import messages
from memtop.engine.client import Source

PAGE = 4096


class SyntheticSource(Source):
    """Engine messages for `runs` live runs, generated on the clock (no engine, no sessions)."""

    live = True
    title = "synthetic live runs"

    def __init__(self, runs: int, hz: float) -> None:
        self.runs, self.hz = runs, hz
        self.start = time.monotonic()
        self.last = self.start
        self.sent_open = False
        self.stage_every = 4.0
        self.stages_sent = [0] * runs
        self.rss = [800 * 2**20] * runs

    def poll(self) -> list[dict]:
        now = time.monotonic()
        out: list[dict] = []
        if not self.sent_open:
            for i in range(self.runs):
                spec = {"id": f"s{i}", "backend": f"synthetic{i}", "model": "gpt2_medium_en"}
                out.append(messages.queued(spec))
                out.append(messages.started(spec["id"], f"r{i}", f"/dev/null/{i}", None,
                                            self.start, {"weights": "random"}))
            self.sent_open = True
        step = 1 / self.hz
        for i in range(self.runs):
            times = []
            t = self.last
            while t + step <= now:
                t += step
                times.append(t)
            values = []
            for t in times:
                self.rss[i] += int((hash((i, t)) % 2001 - 900) * PAGE)
                values.append(self.rss[i])
            if times:
                out.append(messages.samples(f"r{i}", times, values, values))
            out.append(messages.proc(f"r{i}", (now, self.rss[i], self.rss[i], 0, 0, 0, 1)))
            due = int((now - self.start) / self.stage_every)
            while self.stages_sent[i] < due:
                self.stages_sent[i] += 1
                out.append(messages.stage(f"r{i}", {
                    "name": f"stage_{self.stages_sent[i]}", "t": now, "t_end": now,
                    "rss": self.rss[i], "swap": 0, "peak": self.rss[i], "peak_exact": True}))
        self.last = now if (now - self.last) * self.hz >= 1 else self.last
        return out


def serve(runs: int, hz: float) -> None:
    from memtop.tui.app import MemtopApp

    MemtopApp(start="dashboard", source=SyntheticSource(runs, hz)).run()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def find_app(tag: str) -> int:
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            if tag.encode() in argv and b"--serve" in argv and b"tmux" not in argv[0]:
                return int(name)
        except OSError:
            continue
    raise RuntimeError("the app did not start")


def _end(tag: str) -> None:
    """The served app runs Textual directly, without memtop's command line, whose exit waits
    out Textual's threads on a terminal that went away: so end it here, or it would run on and
    load the next measurement."""
    with contextlib.suppress(RuntimeError, ProcessLookupError):
        pid = find_app(tag)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


def measure(seconds: float, runs: int, hz: float) -> dict:
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed: apt-get install tmux")
    tag = f"bench-{uuid.uuid4().hex[:8]}"
    socket = f"memtop-{tag}"
    command = (f"{sys.executable} {os.path.abspath(__file__)} --serve --runs {runs} --hz {hz} "
               f"--tag {tag}")
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40",
                    f"env TERM=xterm-256color LANG=C.UTF-8 {command}"], check=True)
    try:
        time.sleep(3)  # start-up (imports, first layout) is not part of the steady state
        pid = find_app(tag)
        c0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        c1, t1 = cpu_seconds(pid), time.monotonic()
        with open(f"/proc/{pid}/status") as f:
            rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        screen = subprocess.run(["tmux", "-L", socket, "capture-pane", "-p"],
                                capture_output=True, text=True).stdout
        if "synthetic0" not in screen:
            raise RuntimeError("the dashboard is not showing the runs:\n" + screen)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
        _end(tag)
    return {"bench": "tui_cpu", "runs": runs, "hz": hz, "seconds": round(t1 - t0, 1),
            "cpu_share_of_one_core": round((c1 - c0) / (t1 - t0), 4),
            "tui_rss_mb": round(rss_kb / 1024, 1), "goal": 0.10}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--quick", action="store_true", help="10 s instead of --seconds")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--hz", type=float, default=200)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tag", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.runs, args.hz)
    else:
        print(json.dumps(measure(10 if args.quick else args.seconds, args.runs, args.hz)))


if __name__ == "__main__":
    main()
