"""How a node's frames reach the driver: a Ray streaming generator where the driver is part of
the cluster (HOST:PORT, auto); through Ray Client (`ray://`), which cannot carry streaming
generators, the same frames through a `ray.util.queue.Queue` pinned to the run's node, which the
driver drains. Either way the frames come in order, and the task's own error (a lost node, a
cancel) is raised where the frames end."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

QUEUED_FRAMES = 8  # frames (up to 8 MiB each) waiting for the driver before the node waits
POLL_S = 0.05  # the queue is polled: Ray Client has no way to wait on it and the task at once


def into_queue(frames_of: Callable[..., Generator[bytes, None, None]], args: tuple, out: Any,
               stop: Any = None) -> None:
    """The task's body under Ray Client: the frames of `frames_of(*args)` into `out`, until
    something is put in `stop` (the driver's stop: a cancel alone can miss a task that is blocked
    in a call). Closing the frames' generator stops its runs on the node, as a cancel does."""
    frames = frames_of(*args)
    try:
        for frame in frames:
            out.put(frame)
            if stop is not None and not stop.empty():
                return
    finally:
        frames.close()


def task_frames(ray: Any, function: Callable[..., Iterator[bytes]], args: tuple,
                options: dict[str, Any], via_client: bool,
                started: Callable[[Any, Any], None]) -> Iterator[bytes]:
    """Starts `function(*args)` as a Ray task with `options`, hands the task (to cancel it) and,
    through Ray Client, a queue that asks it to stop, to `started`; yields its frames."""
    if not via_client:
        task = ray.remote(function).options(**options).remote(*args)
        started(task, None)
        for ref in task:
            yield ray.get(ref)
        return
    from ray.util.queue import Queue

    pinned = {"num_cpus": 0, "scheduling_strategy": options["scheduling_strategy"]}
    out = Queue(maxsize=QUEUED_FRAMES, actor_options=pinned)
    stop = Queue(maxsize=1, actor_options=pinned)
    try:
        task = ray.remote(into_queue).options(**options).remote(function, args, out, stop)
        started(task, stop)
        while True:
            ended = bool(ray.wait([task], timeout=0)[0])  # before the queue is read: every
            waiting = out.size()  # frame of an ended task is in the queue by then
            if waiting:
                yield from out.get_nowait_batch(waiting)
            elif ended:
                ray.get(task)  # its error, if it failed
                return
            else:
                time.sleep(POLL_S)
    finally:
        out.shutdown()
        stop.shutdown()
