"""The session's event pipe, read in order with its output: a stage from a line of output comes
after every event the program wrote before that line (issue #12's CI flake: an own marker came
after the output stage that followed it, when the reading thread was late)."""

from __future__ import annotations

import json
import os
import time

from memtop.engine.monitor.event_reader import EventReader


def line(**event) -> bytes:
    return json.dumps(event).encode() + b"\n"


def test_what_is_in_the_pipe_is_taken_at_once_without_waiting_for_the_thread():
    read_fd, write_fd = os.pipe()
    reader = EventReader(read_fd, "test-events")
    try:
        for i in range(200):  # each written just before it is asked for: no time for the thread
            os.write(write_fd, line(type="stage", name=f"s{i}", t=time.monotonic(),
                                    t_end=time.monotonic()))
            taken = list(reader.take(sent_before=time.monotonic()))
            assert [e["name"] for e in taken] == [f"s{i}"]
    finally:
        os.close(write_fd)


def test_later_events_wait_and_lines_split_across_writes_are_whole():
    read_fd, write_fd = os.pipe()
    reader = EventReader(read_fd, "test-events")
    os.write(write_fd, line(type="meta", meta={}) + line(type="stage", name="early", t_end=1.0))
    os.write(write_fd, line(type="stage", name="late", t_end=5.0)[:10])
    assert [e["type"] for e in reader.take(sent_before=2.0)] == ["meta", "stage"]
    os.write(write_fd, line(type="stage", name="late", t_end=5.0)[10:] + b"not json\n{\"t")
    assert list(reader.take(sent_before=2.0)) == []  # "late" keeps its place, and what follows
    os.close(write_fd)
    assert reader.closed.wait(5)
    taken = list(reader.take())
    assert taken[0]["name"] == "late" and taken[1:] == [None, None]  # bad lines counted, as None
