"""Where each run of a cluster bench goes: nodes that qualify, one run per node at a time.

Ray places by resources, but "this node is busy with a benchmark" is not a resource every
cluster declares, and two benchmarks on one node would time each other. So the driver keeps one
run per node in flight and hands each next run to the free node that has had the fewest (spread
over the nodes, as Ray's SPREAD would), pinned there with Ray's node affinity. Pure: the nodes
come in as `ray.nodes()` gives them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError

ACCELERATOR_PREFIX = "accelerator_type:"  # Ray's resource naming a node's GPU model
NODE_ID_PREFIX_MIN = 6  # a shorter prefix of a node id would match by accident


@dataclass(frozen=True)
class Node:
    node_id: str
    host: str
    ip: str
    resources: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def accelerator(self) -> str:
        """The node's GPU model where Ray knows it, else its GPU count, else "cpu"."""
        for name in self.resources:
            if name.startswith(ACCELERATOR_PREFIX):
                return name[len(ACCELERATOR_PREFIX):]
        gpus = int(self.resources.get("GPU", 0))
        return f"{gpus} GPU" if gpus else "cpu"

    @property
    def short(self) -> str:
        return f"{self.host} ({self.node_id[:8]})"

    def origin(self) -> dict[str, str]:
        """What the run file says of where it ran (RunSpec.origin)."""
        return {"ray_node_id": self.node_id, "node_ip": self.ip, "node_host": self.host,
                "accelerator": self.accelerator}


def nodes_of(ray_nodes: Iterable[dict[str, Any]]) -> list[Node]:
    """The live nodes of `ray.nodes()`."""
    return [Node(str(n.get("NodeID", "")), str(n.get("NodeManagerHostname", "")),
                 str(n.get("NodeManagerAddress", "")), dict(n.get("Resources") or {}),
                 {str(k): str(v) for k, v in (n.get("Labels") or {}).items()})
            for n in ray_nodes if n.get("Alive")]


def parse_resources(text: str | None) -> dict[str, float]:
    """`GPU=1,alpha=0.5` as a map; a one-line error for anything else."""
    wanted: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        name, equals, amount = item.partition("=")
        try:
            value = float(amount)
        except ValueError:
            value = -1.0
        if not equals or not name.strip() or value <= 0:
            raise UserError(f"--resources {item!r}: give NAME=AMOUNT, e.g. GPU=1")
        wanted[name.strip()] = value
    return wanted


def matches(node: Node, wanted: str) -> bool:
    """--node: a node id (or a prefix of 6 or more), a host name, an IP, or a label key=value."""
    key, equals, value = wanted.partition("=")
    if equals:
        return node.labels.get(key) == value
    if len(wanted) >= NODE_ID_PREFIX_MIN and node.node_id.startswith(wanted):
        return True
    return wanted in (node.host, node.ip)


def qualifying(nodes: Sequence[Node], resources: dict[str, float],
               wanted: str | None) -> list[Node]:
    """The nodes that have the resources asked for (in total: Ray queues a run on a busy node)
    and match --node; a one-line error where none does."""
    chosen = [n for n in nodes if all(n.resources.get(k, 0) >= v for k, v in resources.items())
              and (wanted is None or matches(n, wanted))]
    if not chosen:
        asked = ", ".join(f"{k}={v:g}" for k, v in resources.items()) or "no resources"
        where = f" matching --node {wanted}" if wanted else ""
        raise UserError(f"no live node of the cluster has {asked}{where} "
                        f"({len(nodes)} node(s) live)")
    return chosen


class NodeSlots:
    """One run in flight per node; the next goes to the free node that has had the fewest."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = list(nodes)
        self._busy: set[str] = set()
        self._given = {n.node_id: 0 for n in nodes}

    def take(self) -> Node | None:
        free = [n for n in self.nodes if n.node_id not in self._busy]
        if not free:
            return None
        node = min(free, key=lambda n: self._given[n.node_id])
        self._busy.add(node.node_id)
        self._given[node.node_id] += 1
        return node

    def give_back(self, node: Node, alive: bool = True) -> None:
        """A run ended there; a node that died takes no more runs."""
        self._busy.discard(node.node_id)
        if not alive:
            self.nodes = [n for n in self.nodes if n.node_id != node.node_id]

    @property
    def in_flight(self) -> int:
        return len(self._busy)
