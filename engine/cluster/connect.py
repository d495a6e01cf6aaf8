"""Joining a Ray cluster as a driver: its address checked at once (Ray itself retries for
minutes), `ray.init` (once more through Ray Client), and the nodes that qualify."""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

from ..errors import UserError
from .cluster_client import ClusterClient
from .placement import nodes_of, qualifying

INSTALL = "--cluster needs Ray: pip install 'memtop[cluster]'"
CONNECT_S = 5.0  # how long the cluster's address may take to answer


def connect_cluster(address: str, resources: dict[str, float],
                    wanted: str | None) -> ClusterClient:
    """Joins the Ray cluster at `address` (auto: RAY_ADDRESS or the local one) as a driver,
    with the nodes that qualify; a one-line error where there is no Ray, cluster or node."""
    try:
        import ray
    except ImportError:
        raise UserError(INSTALL) from None
    _reachable(address)
    try:
        _init(ray, address)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError here
        why = str(exc).split(". ")[0][:200]
        raise UserError(f"no Ray cluster at {address}: {why} "
                        "(start one with `ray start --head`, or set RAY_ADDRESS)") from None
    try:
        nodes = qualifying(nodes_of(ray.nodes()), resources, wanted)
    except UserError:
        ray.shutdown()
        raise
    return ClusterClient(nodes, resources, via_client=address.startswith("ray://"))


def _init(ray: Any, address: str) -> None:
    """ray.init; through Ray Client once more after a failure: the first server a Ray Client
    proxier starts for a client can die as it starts (seen in a fresh environment, issue #28:
    "Initialization failure from server"), and the next one starts."""
    for attempt in (1, 2):
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
            return
        except Exception:
            if attempt == 2 or not address.startswith("ray://"):
                raise
            with contextlib.suppress(Exception):
                ray.shutdown()


def _reachable(address: str) -> None:
    """A one-line error at once where HOST:PORT does not answer (Ray itself retries for
    minutes); `auto` is Ray's to find (it fails at once where there is none)."""
    if address == "auto":
        return
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not port.isdigit():
        raise UserError(f"--cluster {address}: give auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_S).close()
    except OSError as exc:
        raise UserError(f"no Ray cluster at {address}: {exc.strerror or exc} "
                        "(start one with `ray start --head`, or set RAY_ADDRESS)") from None
