"""Stage peaks come from the kernel: a spike far shorter than any polling still shows in full."""

import sys

from memtop.engine.client import EngineClient
from memtop.engine.probes.procfs import RSS_COUNTER_SLACK
from memtop.engine.spec import RunSpec
from memtop.engine.store import read_run

from conftest import HELPERS

MIB = 1024 * 1024
SPIKE = 512 * MIB


def run_command(command: list[str], runs_dir, interval_ms: float = 5.0) -> dict:
    client = EngineClient()
    try:
        client.submit([RunSpec(backend="", model="", command=command, runs_dir=str(runs_dir),
                               interval_ms=interval_ms)])
        finished = None
        while True:
            message = client.receive(30)
            assert message is not None, "the engine went quiet"
            if message["type"] == "finished":
                finished = message
            if message["type"] in ("idle", "exited"):
                break
    finally:
        client.close()
    assert finished is not None
    return finished


def test_a_freed_512_mib_spike_is_in_its_stage_peak(runs_dir):
    finished = run_command([sys.executable, str(HELPERS / "spike_session.py")], runs_dir)
    assert finished["status"] == "done", finished["cause"]
    run = read_run(finished["path"])
    stages = {s["name"]: s for s in run.stages}
    quiet, spike, after = stages["quiet"], stages["spike"], stages["after"]
    assert all(s["peak_exact"] for s in run.stages)
    # The kernel saw the whole spike although it was freed before the boundary.
    assert spike["peak"] >= quiet["rss"] + SPIKE - 8 * MIB
    assert spike["rss"] < quiet["rss"] + 64 * MIB
    # Reset per stage: the next stage does not inherit the spike.
    assert after["peak"] < spike["peak"] - SPIKE // 2
    # Samples never exceed the exact peak beyond the kernel counters' own rounding.
    for s in run.stages:
        if s["sampled_peak"] is not None:
            assert s["sampled_peak"] <= s["peak"] + RSS_COUNTER_SLACK
    held_ms = spike["held_s"] * 1000
    sampled_top = (spike["sampled_peak"] or 0) - quiet["rss"]
    print(f"spike held {held_ms:.1f} ms after {spike['populate_s'] * 1000:.0f} ms of populating;"
          f" sampled maximum reached {sampled_top / MIB:.0f} of 512 MiB")
