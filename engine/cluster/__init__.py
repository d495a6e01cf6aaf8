"""Runs placed on a Ray cluster (`memtop bench --cluster`): the driver's `ClusterClient`, an
engine client whose runs are Ray tasks, and the task that runs one on its node with memtop's own
engine beside the session (the sampler must run where the process it measures runs).

- `placement`: which nodes qualify (resources, `--node`), one run per node at a time, spread;
- `on_node`: the task's body, on the node: an engine, its messages out as msgpack bytes, then
  the run file in chunks;
- `cluster_client.ClusterClient`: the driver's side, with `EngineClient`'s interface, so the
  headless table and the dashboard take it unchanged.
Ray is imported only here, and only when a cluster is asked for (the `cluster` extra).
"""

from __future__ import annotations

from .cluster_client import ClusterClient
from .connect import connect_cluster
from .placement import parse_resources

__all__ = ["ClusterClient", "connect_cluster", "parse_resources"]
