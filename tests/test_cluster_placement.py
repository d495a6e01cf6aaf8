"""Which nodes a cluster bench uses and in what order, and --matrix's runs (no Ray needed)."""

from __future__ import annotations

import pytest

from memtop.cli.matrix import combinations, matrix_axes
from memtop.engine.cluster.placement import (
    Node,
    NodeSlots,
    matches,
    nodes_of,
    parse_resources,
    qualifying,
)
from memtop.engine.errors import UserError

RAY_NODES = [
    {"NodeID": "aaaa1111" * 7, "Alive": True, "NodeManagerHostname": "h100-box",
     "NodeManagerAddress": "10.0.0.1", "Labels": {"zone": "a"},
     "Resources": {"CPU": 64.0, "GPU": 8.0, "accelerator_type:H100": 1.0}},
    {"NodeID": "bbbb2222" * 7, "Alive": True, "NodeManagerHostname": "a100-box",
     "NodeManagerAddress": "10.0.0.2", "Labels": {"zone": "b"},
     "Resources": {"CPU": 32.0, "GPU": 4.0}},
    {"NodeID": "cccc3333" * 7, "Alive": True, "NodeManagerHostname": "cpu-box",
     "NodeManagerAddress": "10.0.0.3", "Labels": {}, "Resources": {"CPU": 16.0}},
    {"NodeID": "dddd4444" * 7, "Alive": False, "NodeManagerHostname": "gone",
     "NodeManagerAddress": "10.0.0.4", "Labels": {}, "Resources": {"CPU": 16.0}},
]


def test_live_nodes_say_their_accelerator() -> None:
    nodes = nodes_of(RAY_NODES)
    assert [n.host for n in nodes] == ["h100-box", "a100-box", "cpu-box"]
    assert [n.accelerator for n in nodes] == ["H100", "4 GPU", "cpu"]
    assert nodes[0].origin() == {"ray_node_id": "aaaa1111" * 7, "node_ip": "10.0.0.1",
                                 "node_host": "h100-box", "accelerator": "H100"}


def test_resources_and_node_choose_the_nodes_that_qualify() -> None:
    nodes = nodes_of(RAY_NODES)
    assert [n.host for n in qualifying(nodes, {"GPU": 1}, None)] == ["h100-box", "a100-box"]
    assert [n.host for n in qualifying(nodes, {"GPU": 6}, None)] == ["h100-box"]
    assert [n.host for n in qualifying(nodes, {}, "zone=b")] == ["a100-box"]
    assert [n.host for n in qualifying(nodes, {}, "cccc3333")] == ["cpu-box"]
    assert [n.host for n in qualifying(nodes, {}, "10.0.0.1")] == ["h100-box"]
    assert not matches(nodes[0], "aaaa")  # a prefix too short to mean one node
    with pytest.raises(UserError, match=r"no live node of the cluster has GPU=1 matching "
                                        r"--node cpu-box \(3 node\(s\) live\)"):
        qualifying(nodes, {"GPU": 1}, "cpu-box")


def test_resources_parse_or_say_what_they_take() -> None:
    assert parse_resources("GPU=1, alpha=0.5") == {"GPU": 1.0, "alpha": 0.5}
    assert parse_resources(None) == {}
    for bad in ("GPU", "GPU=", "=1", "GPU=0", "GPU=-1", "GPU=lots"):
        with pytest.raises(UserError, match="give NAME=AMOUNT"):
            parse_resources(bad)


def test_one_run_per_node_at_a_time_spread_over_the_nodes() -> None:
    nodes = [Node(f"node{i}" * 4, f"h{i}", f"10.0.0.{i}") for i in range(3)]
    slots = NodeSlots(nodes)
    first = [slots.take() for _ in range(3)]
    assert [n.host for n in first] == ["h0", "h1", "h2"]
    assert slots.take() is None and slots.in_flight == 3  # every node busy: the run waits
    slots.give_back(first[1])
    slots.give_back(first[0])
    assert slots.take().host == "h0"  # both have had one: the first in the list
    slots.give_back(first[2], alive=False)  # a node that died takes no more runs
    assert slots.take().host == "h1"
    assert slots.take() is None


def test_matrix_multiplies_the_runs_with_every_value_checked() -> None:
    axes = matrix_axes(["model=gpt2_tiny,gpt2_base_en", "dtype=float32,bfloat16,float32"])
    cells = combinations(axes)
    assert len(cells) == 4
    assert {"model": "gpt2_base_en", "dtype": "bfloat16"} in cells
    assert combinations({}) == [{}]
    assert matrix_axes(["max-length=16"]) == {"max_length": [16]}
    for bad, said in (("batch_size=0", "must be positive"), ("max_length=x", "not a whole"),
                      ("dtype=", "has no values"), ("size=1", "AXIS one of")):
        with pytest.raises(UserError, match=said):
            matrix_axes([bad])
    with pytest.raises(UserError, match="given twice"):
        matrix_axes(["dtype=float32", "dtype=float16"])


def test_without_ray_cluster_says_how_to_install_it(tmp_path) -> None:
    from conftest import run_memtop

    fake = tmp_path / "no_ray" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no ray here')\n")
    result = run_memtop("bench", "--cluster", "auto", "--backend", "torch", "--model",
                        "gpt2_tiny", "--no-tui", "--runs-dir", str(tmp_path),
                        env={"PYTHONPATH": str(fake.parent)})
    assert result.returncode == 2
    assert result.stderr.strip() == ("memtop: error: --cluster needs Ray: pip install "
                                     "'memtop[cluster]'")
