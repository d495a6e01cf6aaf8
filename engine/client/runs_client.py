"""What a view needs of whoever runs its runs: a local engine (`EngineClient`) or a cluster's
driver (cluster/cluster_client.py's `ClusterClient`). `LiveSource` takes either, so nothing asks
a client what it is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..messages import Message
from ..spec import RunSpec


class RunsClient(Protocol):
    can_detach: bool  # whether its runs can go on without this memtop (a cluster's cannot)
    exited: bool  # the engine (or the driver's work) is gone: no more messages will come

    @property
    def pid(self) -> int | None:
        """The engine's process, where there is one on this machine."""

    def submit(self, specs: Iterable[RunSpec], parallel: int = 1,
               stdin: int | None = None) -> None: ...

    def receive(self, timeout: float) -> Message | None:
        """The next message, or None after `timeout` seconds; `exited` once it is gone."""

    def interrupt(self) -> None:
        """A `receive` waiting in another thread returns None now (or the next one)."""

    def stop(self, why: str = "user") -> None: ...

    def pace(self, every_s: float) -> None:
        """Readings at most every `every_s` seconds (a view that draws no chart)."""

    def mark(self, run_id: str, name: str) -> None: ...

    def detach(self) -> None: ...

    def close(self, timeout: float = 15.0, why: str = "user") -> None: ...
