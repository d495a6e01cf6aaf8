"""Live, replay and follow are one stream. The messages a live engine sent for a submission, the
ones `RunStream` makes from its run files afterwards, and the ones `BenchFollower` made while the
files were being written have the same kinds and keys (those engine/messages.py defines), and
fold into the same RunBoard state: stages, peaks, alarms, GPU, iterations, weights, summary.

GPU figures come from a stand-in for NVML (tests/helpers/fake_nvml, named as such: there is no
GPU here), put on the engine's path; everything else is real: sessions, engine, run files.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

from memtop.engine.client import EngineClient, RunBoard, fold
from memtop.engine.messages import ENGINE_MESSAGES, Message
from memtop.engine.spec import RunSpec
from memtop.engine.store import BenchFollower, RunStream, read_run

from conftest import HELPERS, needs_backend

ENGINE_ONLY = {"idle", "exited", "fatal", "cancelled"}  # about the engine, not a run file
# Each process of a tree, once a second: live only by design (the run file keeps each one's peak
# in meta); a backend that starts a helper process sends it live, so it is not compared.
LIVE_ONLY = {"workers"}
FAKE_NVML = str(HELPERS / "fake_nvml")
GPU_TAG = "memtop-fake-gpu-workload"


def record(specs: list[RunSpec], timeout: float = 600) -> tuple[list, list, list[str]]:
    """(live messages, followed messages, run files): a follower is opened on the first run
    file as soon as it starts, and must find the others of the bench by itself."""
    client = EngineClient()
    client.submit(specs)
    live: list[Message] = []
    followed: list[Message] = []
    follower: BenchFollower | None = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            message = client.receive(0.05)
            if message is not None:
                live.append(message)
                if message["type"] == "started" and follower is None:
                    follower = BenchFollower(message["path"])
                if message["type"] in ("idle", "exited"):
                    break
            if follower is not None:
                followed.extend(follower.poll())
        assert follower is not None, "no run started"
        while sum(m["type"] == "finished" for m in followed) < len(specs):
            assert time.monotonic() < deadline, "the follower never saw every run end"
            time.sleep(0.1)
            followed.extend(follower.poll())
    finally:
        client.close()
        if follower is not None:
            follower.close()
    paths = [m["path"] for m in live if m["type"] == "started"]
    return live, followed, paths


def replayed(paths: list[str]) -> list[Message]:
    return [m for path in paths for m in RunStream(read_run(path)).all()]


def shape(stream: list[Message]) -> dict[str, set[str]]:
    """kind -> the keys its messages carry (every message of a kind carries the same ones)."""
    found: dict[str, set[str]] = {}
    for message in stream:
        if message["type"] in ENGINE_ONLY:
            continue
        keys = set(message)
        assert keys == {"type", *ENGINE_MESSAGES[message["type"]][0]}, message["type"]
        if message["type"] in LIVE_ONLY:  # its keys checked, its kind not compared
            continue
        assert found.setdefault(message["type"], keys) == keys
    return found


def state(board: RunBoard) -> dict[str, Any]:
    """What a view shows of each run, by run id."""
    out = {}
    for run in board.runs:
        out[run.run_id] = {
            "spec": run.spec_id, "status": run.status, "cause": run.cause,
            "stages": [(s["name"], s["peak"], s.get("sampled_peak")) for s in run.stages],
            "alarms": [(a["kind"], a["level"], a["message"]) for a in run.alarms],
            "gpu": (run.gpu_used, run.gpu_history.max(), len(run.gpu_history)),
            "iterations": [(i["i"], i["rss"]) for i in run.iterations],
            "weights": run.weights, "foreign": run.foreign, "summary": run.summary,
            "rss": (run.sampled_max, run.hwm, run.swap_peak, run.rss_history.max(),
                    len(run.rss_history), run.t_start, run.t_last),
        }
    return out


def assert_parity(live: list, followed: list, paths: list[str], expected: set[str]) -> None:
    again = replayed(paths)
    assert expected <= set(shape(live)), f"live lacks {expected - set(shape(live))}"
    assert shape(again) == shape(live)
    assert shape(followed) == shape(live)
    truth = state(fold(live))
    assert len(truth) == len(paths)
    assert state(fold(again)) == truth
    assert state(fold(followed)) == truth


def test_runs_of_programs_with_gpu_iterations_and_stages_are_one_stream(runs_dir):
    sys.path.insert(0, FAKE_NVML)  # the spawned engine inherits the path: NVML is the fake
    try:
        command = [sys.executable, str(HELPERS / "iterating.py"), GPU_TAG]
        specs = [RunSpec(backend="", model=f"iterating-{i}", command=command, device="gpu",
                         runs_dir=str(runs_dir)) for i in range(2)]
        live, followed, paths = record(specs, timeout=60)
    finally:
        sys.path.remove(FAKE_NVML)
    assert_parity(live, followed, paths, {"queued", "started", "samples", "proc", "system",
                                          "gpu", "stage", "iteration", "finished"})
    board = fold(followed)
    assert [r.status for r in board.runs] == ["done", "done"]
    assert all(r.gpu_history.max() == 64 * 1024 * 1024 for r in board.runs)  # while alive
    assert all(len(r.iterations) == 4 for r in board.runs)


def test_following_the_latest_file_shows_every_run_of_its_bench(runs_dir):
    command = [sys.executable, str(HELPERS / "slow_stages.py")]
    specs = [RunSpec(backend="", model=f"slow-{i}", command=command, runs_dir=str(runs_dir))
             for i in range(2)]
    live, _, paths = record(specs, timeout=60)
    follower = BenchFollower(paths[-1])  # `memtop replay --follow latest`, after the fact
    try:
        board = fold(follower.poll())
    finally:
        follower.close()
    assert [r.run_id for r in board.runs] == [m["run"] for m in live if m["type"] == "started"]
    assert [r.status for r in board.runs] == ["done", "done"]


@pytest.mark.backend
@needs_backend("torch")
@needs_backend("jax")
def test_a_two_backend_bench_is_one_stream_live_replayed_and_followed(runs_dir):
    specs = [RunSpec(backend=b, model="gpt2_tiny", weights="auto", leak_iterations=3,
                     runs_dir=str(runs_dir)) for b in ("torch", "jax")]
    live, followed, paths = record(specs)
    assert_parity(live, followed, paths, {"queued", "started", "samples", "proc", "system",
                                          "stage", "iteration", "meta", "finished"})
    board = fold(followed)
    assert [r.backend for r in board.runs] == ["torch", "jax"]
    assert all(r.weights == "random" and r.status == "done" for r in board.runs)
    assert all(len(r.iterations) == 3 and r.leak for r in board.runs)
