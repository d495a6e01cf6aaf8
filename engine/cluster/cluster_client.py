"""The driver's side of a cluster bench: an engine client whose runs are Ray tasks.

`ClusterClient` speaks `EngineClient`'s interface (submit, receive, stop, close), so the
headless table and the dashboard fold its messages as they fold a local engine's. Each run in
flight has a thread that reads its task's frames (on_node.py), hands the messages on with the
run file's path made local, writes the file's chunks beside the driver's runs, and ends the run
(`finished`) once the file is in place, or as failed with the cause when its node or task is
lost. Only what crosses the network: messages and finished run files.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import messages
from ..errors import UserError
from ..messages import Message
from ..spec import RunSpec
from .frames import task_frames
from .landing import Landing
from .on_node import CAPTURE, MESSAGES, RUN_FILE, memtop_version, run_file_on_node, run_on_node
from .placement import Node, NodeSlots, nodes_of

NODE_SETTLE_S = 15.0  # how long a node whose actors failed may stay listed before it is lost


@dataclass
class Flight:
    """One run on its way: its node, its task, what it has said so far."""

    spec: RunSpec
    node: Node
    task: Any = None  # Ray's ObjectRefGenerator (an ObjectRef through Ray Client)
    stop_queue: Any = None  # through Ray Client: what asks its task to stop (frames.into_queue)
    run_id: str | None = None
    t_last: float | None = None
    files: Landing = field(default_factory=Landing)  # its run file, copied here


class ClusterClient:
    """Runs specs as Ray tasks, one per node at a time; messages as an engine would send."""

    owner = True
    can_detach = False  # a driver's Ray tasks end with it: nothing can be left running
    pid: int | None = None
    info: Message | None = None

    def __init__(self, nodes: list[Node], resources: dict[str, float],
                 via_client: bool = False) -> None:
        import ray

        self._ray = ray
        self._resources = resources
        self._via_client = via_client  # Ray Client: frames through a queue (frames.py)
        self.slots = NodeSlots(nodes)
        self.exited = self.detached = False
        self._inbox: queue.Queue[Message | None] = queue.Queue()  # None: interrupt
        self._waiting: deque[RunSpec] = deque()
        self._flights: dict[str, Flight] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._version = memtop_version()

    # ---- EngineClient's interface ------------------------------------------------------------

    def submit(self, specs: Iterable[RunSpec], parallel: int = 1,
               stdin: int | None = None) -> None:
        """Queues the runs; `parallel` is one per node here, whatever is asked."""
        for spec in specs:
            self._waiting.append(spec)
            self._inbox.put(messages.queued(spec.to_dict()))
        self._dispatch()

    def receive(self, timeout: float) -> Message | None:
        try:
            message = self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None
        if message is None:  # interrupted
            return None
        if message["type"] == "exited":
            self.exited = True
        return message

    def interrupt(self) -> None:
        self._inbox.put(None)

    def stop(self, why: str = "user") -> None:
        """Queued runs are dropped, running ones cancelled (their files are still fetched)."""
        with self._lock:
            self._stopping = True
            while self._waiting:
                self._inbox.put(messages.cancelled(self._waiting.popleft().to_dict()))
            flights = [f for f in self._flights.values() if f.task is not None]
        for flight in flights:
            if flight.stop_queue is not None:
                with contextlib.suppress(Exception):  # full (asked already), or gone with it
                    flight.stop_queue.put_nowait(True)
            self._ray.cancel(flight.task)
        self._maybe_idle()

    def mark(self, run_id: str, name: str) -> None:
        """Manual marks do not cross the network (the run's own stages do)."""

    def pace(self, every_s: float) -> None:
        """Each node's engine sends what it samples: the driver shows it or not."""

    def detach(self) -> None:
        raise UserError("runs on a cluster end with their driver: nothing can be left running")

    def close(self, timeout: float = 15.0, why: str = "user") -> None:
        if self.exited and not self._threads:
            return
        self.stop(why)
        for thread in self._threads:
            thread.join(timeout)
        self._ray.shutdown()
        self.exited = True

    # ---- runs in flight ----------------------------------------------------------------------

    def _dispatch(self) -> None:
        with self._lock:
            while self._waiting and not self._stopping:
                node = self.slots.take()
                if node is None:
                    return
                flight = Flight(self._waiting.popleft(), node)
                self._flights[flight.spec.id] = flight
                thread = threading.Thread(target=self._fly, args=(flight,), daemon=True,
                                          name=f"cluster-run-{flight.spec.id}")
                self._threads.append(thread)
                thread.start()

    def _options(self, node: Node) -> dict[str, Any]:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        others = {k: v for k, v in self._resources.items() if k not in ("CPU", "GPU")}
        return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node.node_id, soft=False),
                "max_retries": 0, "num_cpus": self._resources.get("CPU", 1),
                "num_gpus": self._resources.get("GPU", 0), "resources": others or None}

    def _fly(self, flight: Flight) -> None:
        ray = self._ray
        end: Message | None = None
        alive = True
        try:
            with self._lock:
                if self._stopping:
                    raise _Stopped
            args = (flight.spec.to_dict(), flight.node.origin(), self._version)
            for frame in self._frames(flight, run_on_node, args):
                end = self._frame(flight, frame) or end
            if end is None and self._stopping:  # stopped through its stop queue
                end = self._cancelled(flight)
            elif end is None:  # its frames stopped with no word: a lost node can end them so
                alive = self._node_alive(flight.node, NODE_SETTLE_S)
                end = self._lost(flight, None, alive)
        except _Stopped:
            end = messages.cancelled(flight.spec.to_dict())
        except ray.exceptions.TaskCancelledError:
            end = self._cancelled(flight)
        except ray.exceptions.RayError as exc:
            # Ray says NodeDiedError at once; its node list may still hold the node a while.
            gone = (ray.exceptions.NodeDiedError, ray.exceptions.TaskUnschedulableError)
            # Through Ray Client the frames come from a queue actor on the run's node: when the
            # node goes, that actor's error comes first, while the node list still shows it.
            settling = tuple(getattr(ray.exceptions, name) for name in
                             ("ActorUnavailableError", "ActorDiedError")
                             if hasattr(ray.exceptions, name))
            alive = not isinstance(exc, gone) and self._node_alive(
                flight.node, NODE_SETTLE_S if isinstance(exc, settling) else 0.0)
            end = self._lost(flight, exc, alive)
        except Exception as exc:  # the driver's own trouble (a full disk): said, never a hang
            if flight.task is not None:
                with contextlib.suppress(Exception):  # the cause is said below
                    ray.cancel(flight.task)
            end = messages.finished(flight.spec.id, flight.run_id, None, {
                "status": "failed", "cause": f"memtop on the driver: {type(exc).__name__}: "
                f"{exc}", "t_end": flight.t_last})
        finally:
            flight.files.close()
        if end is not None and end["type"] == "finished":
            end = {**end, "path": flight.files.land()}
        again = not alive and flight.run_id is None and not self._stopping
        with self._lock:
            self.slots.give_back(flight.node, alive)
            del self._flights[flight.spec.id]
            if again and self.slots.nodes:  # its node died before it began: another takes it
                self._waiting.appendleft(flight.spec)
                end = None
        if end is not None or not again:
            self._inbox.put(end or self._lost(flight, None, alive))
        self._dispatch()
        self._maybe_idle()

    def _frames(self, flight: Flight, function: Any, args: tuple,
                fetch: bool = False) -> Iterator[bytes]:
        def started(task: Any, stop_queue: Any) -> None:
            with self._lock:  # stop() cancels the tasks it finds: this one, if it came late
                flight.task, flight.stop_queue = task, stop_queue
                late = self._stopping and not fetch
            if late:
                self._ray.cancel(task)

        return task_frames(self._ray, function, args, self._options(flight.node),
                           self._via_client, started)

    def _frame(self, flight: Flight, frame: bytes) -> Message | None:
        """One frame: messages handed on (the `finished` one returned), file chunks written."""
        kind, payload = frame[:1], frame[1:]
        if kind in (RUN_FILE, CAPTURE):
            flight.files.write(kind, payload)
            return None
        if kind != MESSAGES:
            return None
        end = None
        for message in messages.unbatched(messages.decode(payload)):
            if message["type"] == "started":
                flight.run_id = message["run"]
                message = {**message, "path": flight.files.place(
                    flight.spec.runs_dir, message["path"], flight.spec.id)}
            if "t" in message and isinstance(message["t"], float | int):
                flight.t_last = message["t"]
            if message["type"] == "finished":
                end, flight.files.whole = message, True
            else:
                self._inbox.put(message)
        return end

    def _cancelled(self, flight: Flight) -> Message:
        """A stopped run: its node kept the file (as cancelled); fetch it with a second task."""
        if flight.files.path is not None:
            flight.files.restart()
            try:
                name = os.path.basename(flight.files.path)
                for frame in self._frames(flight, run_file_on_node, (name,), fetch=True):
                    self._frame(flight, frame)
                flight.files.whole = True
            except self._ray.exceptions.RayError:
                pass  # the run's messages came; only its file is missing
        return messages.finished(flight.spec.id, flight.run_id, None,
                                 {"status": "killed", "cause": "stopped by the user",
                                  "t_end": flight.t_last})

    def _lost(self, flight: Flight, exc: BaseException | None, alive: bool) -> Message:
        cause = getattr(exc, "cause", None)
        if not alive:
            said = type(exc).__name__ if exc is not None else "its task's frames stopped"
            why = f"node {flight.node.short} was lost mid-run ({said})"
        elif exc is None:
            why = "its task ended without saying how"
        elif isinstance(cause, Exception):
            why = f"on node {flight.node.short}: {type(cause).__name__}: {cause}"
        else:
            why = f"on node {flight.node.short}: {type(exc).__name__}"
        return messages.finished(flight.spec.id, flight.run_id, None,
                                 {"status": "failed", "cause": why, "t_end": flight.t_last})

    def _node_alive(self, node: Node, settle_s: float = 0.0) -> bool:
        """Whether the cluster still lists `node` alive (asked again for `settle_s` while it
        does: Ray's node list learns of a lost node seconds after its actors' errors)."""
        deadline = time.monotonic() + settle_s
        while True:
            try:
                alive = any(n.node_id == node.node_id for n in nodes_of(self._ray.nodes()))
            except Exception:  # the cluster itself is gone
                return False
            if not alive or time.monotonic() >= deadline:
                return alive
            time.sleep(0.5)

    def _maybe_idle(self) -> None:
        with self._lock:
            done = not self._waiting and not self._flights
        if done:
            self._inbox.put(messages.idle())


class _Stopped(Exception):
    """The run was stopped before its task started."""


if TYPE_CHECKING:  # the views take it as they take an engine: mypy holds it to that
    from ..client import RunsClient

    _AS_VIEWS_TAKE_IT: type[RunsClient] = ClusterClient
