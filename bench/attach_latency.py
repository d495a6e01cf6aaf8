"""How long starting an engine, and attaching to one, take (issue #14).

- engine_start_s: from `EngineClient()` to the engine's first message (it is listening);
- attach_s: `EngineClient.attach` on an engine whose run has been sampled for `seconds`: the
  engine commits, answers, and the client reads the run's history from its file. This grows
  with the run's length today (the whole file is read); issue #15 bounds it.

    python bench/attach_latency.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from common import emit, median

from memtop.engine.client import EngineClient, engine_addresses
from memtop.engine.spec import RunSpec


def engine_start_s() -> float:
    start = time.monotonic()
    client = EngineClient()
    while client.info is None:
        client.receive(0.01)
    took = time.monotonic() - start
    client.close()
    return took


def attach_after(seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as runs:
        owner = EngineClient()
        sleeper = [sys.executable, "-c", f"import time; time.sleep({seconds + 30})"]
        owner.submit([RunSpec(backend="", model="sleep", runs_dir=runs, command=sleeper)])
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            owner.receive(0.1)
        [address] = [a for a in engine_addresses() if a.pid == owner.pid]
        start = time.monotonic()
        watcher = EngineClient.attach(address)
        took = time.monotonic() - start
        samples = sum(len(m["t"]) for m in watcher._pending if m["type"] == "samples")
        watcher.close()
        owner.close()
    return {"run_s": seconds, "attach_s": round(took, 3), "history_samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    starts = [engine_start_s() for _ in range(3 if args.quick else 7)]
    attaches = [attach_after(s) for s in ((5, 20) if args.quick else (10, 60, 180))]
    emit({"bench": "attach_latency", "engine_start_s": round(median(starts), 3),
          "attach": attaches})


if __name__ == "__main__":
    main()
