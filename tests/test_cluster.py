"""`memtop bench --cluster` against a real local Ray cluster of two nodes on this machine (Ray's
own test cluster: a head with the resource `alpha`, a second node with `beta`), real sessions
on each node, their files copied back; a third node is added and stopped mid-run."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from conftest import needs_backend, run_memtop, show_json

pytest.importorskip("ray")

from memtop.engine.spec import RunSpec

SLEEPER = [sys.executable, "-c", "import time; b = bytearray(40 << 20); time.sleep(60)"]
SHORT = [sys.executable, "-c", "import time; b = bytearray(30 << 20); time.sleep(1.5)"]


LOOPBACK = "127.0.0.1"  # every server a test starts listens here only
# Ray turns a loopback address into the machine's own (a driver would then look for the head at
# an address it does not listen on) unless told that the cluster is this machine's only.
ONE_MACHINE = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two nodes; what they write lands in their own runs folder (MEMTOP_NODE_RUNS_DIR, which
    the nodes' workers inherit from this process)."""
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    ray_constants.ENABLE_RAY_CLUSTER = False  # ONE_MACHINE for this process (read at import)
    node_runs = tmp_path_factory.mktemp("node-runs")
    before = {name: os.environ.get(name) for name in ("MEMTOP_NODE_RUNS_DIR", *ONE_MACHINE)}
    os.environ.update(MEMTOP_NODE_RUNS_DIR=str(node_runs), **ONE_MACHINE)
    client_port = _free_port()
    ray_cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "resources": {"alpha": 1}, "include_dashboard": False,
        "ray_client_server_port": client_port, "node_ip_address": LOOPBACK})
    ray_cluster.client_address = f"ray://{ray_cluster.address.split(':')[0]}:{client_port}"
    ray_cluster.add_node(num_cpus=1, resources={"beta": 1}, node_ip_address=LOOPBACK)
    ray_cluster.wait_for_nodes()
    ray_cluster.node_runs = node_runs
    yield ray_cluster
    ray_cluster.shutdown()
    ray_constants.ENABLE_RAY_CLUSTER = True
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _node_ids(cluster) -> set[str]:
    return {node.node_id for node in cluster.list_all_nodes()}


@needs_backend("torch")
@needs_backend("jax")
def test_a_bench_on_two_nodes_runs_one_backend_on_each_and_brings_both_files_back(
        cluster, runs_dir: Path) -> None:
    result = run_memtop("bench", "--cluster", "auto", "--backend", "torch,jax",
                        "--model", "gpt2_tiny", "--no-tui", "--runs-dir", str(runs_dir),
                        timeout=300, env={"RAY_ADDRESS": cluster.address})
    assert result.returncode == 0, result.stderr
    files = sorted(runs_dir.glob("*.db"))
    assert len(files) == 2, result.stdout
    shown = [show_json(runs_dir, str(path)) for path in files]
    assert {run["backend"] for run in shown} == {"torch", "jax"}
    assert all(run["status"] == "done" and run["host"] for run in shown)
    nodes = {run["cluster"]["ray_node_id"] for run in shown}
    assert len(nodes) == 2 and nodes <= _node_ids(cluster)  # one run on each node
    assert all(run["cluster"]["accelerator"] == "cpu" for run in shown)
    # The node kept its own copy; the comparison names each run's node.
    assert {p.name for p in files} <= {p.name for p in cluster.node_runs.glob("*.db")}
    assert result.stdout.count("@") >= 2 and "torch @" in result.stdout
    where = result.stdout.split("Where loading and the first inference went")[1]
    loaded = [line for line in where.splitlines() if "model_loaded" in line]
    assert len(loaded) == 2 and all(" @" in line for line in loaded)  # so do the other tables
    diff = run_memtop("diff", "--format", "table", *map(str, files))
    node_row = next(line for line in diff.stdout.splitlines() if line.startswith("│ node"))
    assert all(node_id[:6] in node_row for node_id in nodes)  # diff says where each ran


def _collect(client, count: int, timeout: float = 90) -> dict[str, list[dict]]:
    """Every message of the client until `count` runs have finished, by kind."""
    seen: dict[str, list[dict]] = {}
    deadline = time.monotonic() + timeout
    while len(seen.get("finished", [])) < count:
        assert time.monotonic() < deadline, f"timed out: {list(seen)}"
        message = client.receive(0.2)
        if message is not None:
            seen.setdefault(message["type"], []).append(message)
    return seen


def _until_sampled(client, timeout: float = 60) -> None:
    """Waits for the first samples of a run (it has started, on its node)."""
    deadline = time.monotonic() + timeout
    while (message := client.receive(0.2)) is None or message["type"] != "samples":
        assert time.monotonic() < deadline, "the run did not start"


def _pid_gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_node_lost_mid_run_fails_that_run_only(cluster, runs_dir: Path) -> None:
    import ray

    from memtop.engine.cluster import ClusterClient
    from memtop.engine.cluster.placement import nodes_of

    doomed = cluster.add_node(num_cpus=1, resources={"gamma": 1}, node_ip_address=LOOPBACK)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        nodes = nodes_of(ray.nodes())
        head = next(n for n in nodes if "alpha" in n.resources)
        gamma = next(n for n in nodes if "gamma" in n.resources)
        client = ClusterClient([head, gamma], {})
        specs = [RunSpec(backend="", model=name, command=command, runs_dir=str(runs_dir))
                 for name, command in (("short", SHORT), ("long", SLEEPER))]
        client.submit(specs)
        started: dict[str, dict] = {}
        deadline = time.monotonic() + 60
        while len(started) < 2:
            assert time.monotonic() < deadline, "the runs did not start"
            message = client.receive(0.2)
            if message is not None and message["type"] == "started":
                started[message["meta"]["model"]] = message
        assert started["long"]["meta"]["cluster"]["ray_node_id"] == gamma.node_id
        cluster.remove_node(doomed, allow_graceful=False)
        seen = _collect(client, 2)
        deadline = time.monotonic() + 60  # the next tests' drivers must not see it alive
        while any(n.node_id == gamma.node_id for n in nodes_of(ray.nodes())):
            assert time.monotonic() < deadline, "Ray still lists the stopped node"
            time.sleep(0.5)
        client.close()
    finally:
        ray.shutdown()
    ends = {m["id"]: m for m in seen["finished"]}
    short, long = ends[specs[0].id], ends[specs[1].id]
    assert short["status"] == "done" and Path(short["path"]).is_file()
    assert long["status"] == "failed" and long["path"] is None
    assert "was lost mid-run" in long["cause"] and gamma.node_id[:8] in long["cause"]
    assert not list(runs_dir.glob("*.part"))  # the half-copied file is not left behind
    assert _pid_gone(started["long"]["pid"])  # its engine stopped the session on the node


def test_stopping_a_cluster_run_kills_it_on_its_node_and_still_brings_its_file(
        cluster, runs_dir: Path) -> None:
    from memtop.engine.cluster import connect_cluster

    client = connect_cluster(cluster.address, {"beta": 1}, None)
    try:
        spec = RunSpec(backend="", model="long", command=SLEEPER, runs_dir=str(runs_dir))
        client.submit([spec])
        _until_sampled(client)
        client.stop()
        end = _collect(client, 1)["finished"][0]
    finally:
        client.close()
    assert end["status"] == "killed" and end["cause"] == "stopped by the user"
    run = show_json(runs_dir, end["path"])
    assert run["cluster"]["ray_node_id"] in _node_ids(cluster)
    assert run["summary"]["peak_mb"] > 40  # the 40 MiB block was measured on the node


def test_bad_cluster_arguments_are_one_line_each(runs_dir: Path) -> None:
    cases = [(("--cluster", "127.0.0.1:9"), "no Ray cluster at 127.0.0.1:9"),
             (("--cluster", "nowhere"), "give auto, HOST:PORT or ray://HOST:PORT"),
             (("--resources", "GPU=1"), "add --cluster auto"),
             (("--cluster", "127.0.0.1:9", "--resources", "GPU"), "give NAME=AMOUNT"),
             (("--matrix", "colour=red"), "AXIS one of model"),
             (("--matrix", "dtype=float8"), "--matrix dtype=float8: one of float32"),
             (("--matrix", "batch_size=2,4", "--batch-size", "8"), "batch sizes are given twice")]
    for extra, said in cases:
        result = run_memtop("bench", "--backend", "torch", "--model", "gpt2_tiny", "--no-tui",
                            "--runs-dir", str(runs_dir), *extra)
        assert result.returncode == 2, (extra, result.stdout)
        assert said in result.stderr and "Traceback" not in result.stderr, (extra, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@needs_backend("torch")
@needs_backend("jax")
async def test_the_dashboard_shows_both_cluster_runs_live_with_their_node(
        cluster, runs_dir: Path) -> None:
    from memtop.engine.client import LiveSource
    from memtop.engine.cluster import connect_cluster
    from memtop.tui.app import MemtopApp
    from memtop.tui.widgets.run_card import RunCard

    from tui_support import wait_until

    specs = [RunSpec(backend=backend, model="gpt2_tiny", runs_dir=str(runs_dir))
             for backend in ("torch", "jax")]
    source = LiveSource(specs, client=connect_cluster(cluster.address, {}, None))
    app = MemtopApp(start="dashboard", source=source)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 2)
            cards = list(app.screen.query(RunCard))
            # Both at once, one per node, each drawing samples as they come.
            await wait_until(pilot, lambda: all(c.state.status == "running" and c.state.rss
                                                for c in cards), timeout=60)
            await pilot.pause(0.5)  # the dashboard redraws changed cards on its timer
            titles = [str(card.border_title) for card in cards]
            assert all(" @ " in title for title in titles), titles
            assert len({title.split(" @ ")[1] for title in titles}) == 2, titles
            await wait_until(pilot, lambda: all(c.state.status == "done" for c in cards),
                             timeout=120)
    finally:
        app.close_sources()
    assert sorted(Path(p).name for p in source.paths) == sorted(p.name for p in
                                                               runs_dir.glob("*.db"))
    assert len(source.ends) == 2 and all(Path(m["path"]).is_file() for m in source.ends)


def test_through_ray_client_runs_stream_live_and_their_files_come_back(
        cluster, runs_dir: Path) -> None:
    """ray://: Ray Client carries no streaming generator; the frames come through a queue."""
    from memtop.engine.cluster import connect_cluster

    client = connect_cluster(cluster.client_address, {"beta": 1}, None)
    try:
        client.submit([RunSpec(backend="", model="short", command=SHORT,
                               runs_dir=str(runs_dir))])
        seen = _collect(client, 1)
        done = seen["finished"][0]
        client.submit([RunSpec(backend="", model="long", command=SLEEPER,
                               runs_dir=str(runs_dir))])
        _until_sampled(client)
        client.stop()
        stopped = _collect(client, 1)["finished"][0]
    finally:
        client.close()
    assert len(seen["samples"]) >= 2  # live, as it ran
    assert done["status"] == "done" and show_json(runs_dir, done["path"])["summary"]["peak_mb"] > 30
    assert stopped["status"] == "killed" and Path(stopped["path"]).is_file()


def test_through_ray_client_a_node_lost_mid_run_fails_its_run_with_the_cause(
        cluster, runs_dir: Path) -> None:
    from memtop.engine.cluster import connect_cluster

    doomed = cluster.add_node(num_cpus=1, resources={"delta": 1}, node_ip_address=LOOPBACK)
    cluster.wait_for_nodes()
    client = connect_cluster(cluster.client_address, {"delta": 1}, None)
    try:
        client.submit([RunSpec(backend="", model="long", command=SLEEPER,
                               runs_dir=str(runs_dir))])
        _until_sampled(client)
        cluster.remove_node(doomed, allow_graceful=False)
        end = _collect(client, 1)["finished"][0]
    finally:
        client.close()
    assert end["status"] == "failed" and "was lost mid-run" in end["cause"], end
    assert not list(runs_dir.glob("*.part"))
