"""The Ray task of one run, on its node: memtop's own engine beside the session, its messages
out as msgpack frames, then the finished run file in chunks.

A frame is one byte of kind and its payload, bytes only (Ray carries them; memtop decodes them
as data, never unpickles anything of its own): `M` a batch of engine messages, `F` a chunk of
the run file, `C` a chunk of the --allocations capture. The run's `finished` message comes last,
after its file, so that the driver says a run has ended only once its file is there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from importlib import metadata
from typing import Any

from .. import messages
from ..client import EngineClient
from ..messages import Message
from ..spec import CAPTURE_SUFFIX, RunSpec
from ..store import SUFFIX, prepare_runs_dir

MESSAGES, RUN_FILE, CAPTURE = b"M", b"F", b"C"
CHUNK = 8 * 1024 * 1024  # a day-long run's file crosses in pieces, never whole in memory
FLUSH_S = 0.1  # as the engine batches its own writes: a tenth of a second
RUNS_ENV = "MEMTOP_NODE_RUNS_DIR"  # the node's runs folder (default: the user's data folder)
SKIPPED = ("queued", "idle", "exited", "engine")  # the driver says these itself


def memtop_version() -> str:
    try:
        return metadata.version("memtop")
    except metadata.PackageNotFoundError:
        return "unknown"


def node_runs_dir() -> str:
    if os.environ.get(RUNS_ENV):
        return os.environ[RUNS_ENV]
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                           "share")
    return os.path.join(data, "memtop", "runs")


def run_on_node(spec_data: dict[str, Any], origin: dict[str, str],
                driver_version: str) -> Iterator[bytes]:
    """Runs one spec on this node and yields its frames (a Ray streaming generator)."""
    mine = memtop_version()
    if driver_version != mine:
        raise RuntimeError(f"memtop {mine} on this node, {driver_version} on the driver: "
                           "install the same memtop on every node")
    spec = RunSpec.from_dict({**spec_data, "runs_dir": node_runs_dir(), "origin": origin})
    prepare_runs_dir(spec.runs_dir)
    client = EngineClient()
    end: Message | None = None
    try:
        client.submit([spec])
        pending: list[Message] = []
        flushed = time.monotonic()
        while end is None and not client.exited:
            message = client.receive(FLUSH_S / 2)
            if message is not None and message["type"] == "finished":
                end = message
            elif message is not None and message["type"] not in SKIPPED:
                pending.append(message)
            if pending and (end is not None or time.monotonic() - flushed >= FLUSH_S):
                yield MESSAGES + messages.encode(messages.batch(pending))
                pending, flushed = [], time.monotonic()
    finally:
        client.close()  # a cancelled task (KeyboardInterrupt) stops its run: kept as cancelled
    if end is None:
        return
    if end.get("path"):
        yield from file_frames(end["path"], RUN_FILE)
        capture = end["path"][: -len(SUFFIX)] + CAPTURE_SUFFIX
        if os.path.exists(capture):
            yield from file_frames(capture, CAPTURE)
    yield MESSAGES + messages.encode(end)


def run_file_on_node(name: str) -> Iterator[bytes]:
    """A run file of this node's runs folder, by name (after a cancelled run's task ended)."""
    if os.path.basename(name) != name or not name.endswith(SUFFIX):
        raise ValueError(f"not a run file's name: {name!r}")
    yield from file_frames(os.path.join(node_runs_dir(), name), RUN_FILE)


def file_frames(path: str, kind: bytes) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            yield kind + chunk
