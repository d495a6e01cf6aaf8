"""Stage boundaries inside the measured process: exact peaks, and the fallback when refused."""

import json
import os

from memtop.engine.probes import peak_mark
from memtop.engine.session import event_channel
from memtop.engine.session.stagepoint import EventChannel, StageRecorder

MIB = 1024 * 1024


def read_events(fd: int) -> list[dict]:
    with os.fdopen(fd, "rb") as stream:
        return [json.loads(line) for line in stream]


def test_events_carry_the_exact_peak_of_the_stage_that_ended():
    read_fd, write_fd = os.pipe()
    recorder = StageRecorder(EventChannel(write_fd), collect=False)
    recorder.boundary("start")
    block = bytearray(96 * MIB)
    block[:: 4096] = b"x" * len(block[:: 4096])
    del block
    recorder.boundary("spiked", note="freed before the boundary")
    recorder.boundary("quiet")
    os.close(write_fd)
    start, spiked, quiet = read_events(read_fd)
    assert spiked["peak"] - spiked["rss"] > 80 * MIB  # the freed block is in the peak
    assert quiet["peak"] - quiet["rss"] < 16 * MIB  # and only in its own stage
    assert spiked["note"] == "freed before the boundary"
    assert start["t"] <= start["t_end"] < spiked["t"]
    assert all(e["peak_exact"] for e in (start, spiked, quiet))


def test_a_refused_reset_flags_the_following_stages(monkeypatch):
    # Some kernels refuse clear_refs; this one allows it, so refuse each write to it.
    monkeypatch.setattr(peak_mark, "_LIBC", None)  # the write through `os`, refused
    monkeypatch.setattr(peak_mark, "_write_reset", lambda fd: False)
    recorder = StageRecorder(None, collect=False)
    first = recorder.boundary("first")
    second = recorder.boundary("second")
    assert first["peak_exact"] is True  # the first stage runs from process start
    assert second["peak_exact"] is False


def test_a_closed_channel_does_not_stop_the_measured_program():
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    channel = EventChannel(write_fd)
    StageRecorder(channel, collect=False).boundary("orphaned")
    assert channel.broken
    os.close(write_fd)


def test_no_channel_outside_memtop(monkeypatch):
    monkeypatch.delenv(event_channel.EVENT_FD_ENV, raising=False)
    assert EventChannel.from_env() is None
    monkeypatch.setenv(event_channel.EVENT_FD_ENV, "987654")  # not an open descriptor
    assert EventChannel.from_env() is None


def test_a_descriptor_of_the_same_number_that_is_not_the_pipe_gets_no_events(monkeypatch):
    """A launcher that closed the pipe (torchrun) lets the program reuse its number: gloo's
    socket there once took memtop's JSON and hung the job."""
    import socket

    ours, theirs = socket.socketpair()
    read_fd, write_fd = os.pipe()
    try:
        monkeypatch.setenv(event_channel.EVENT_FD_ENV, str(ours.fileno()))
        monkeypatch.setenv("MEMTOP_EVENT_PIPE", str(os.fstat(write_fd).st_ino))
        monkeypatch.delenv("MEMTOP_RUN", raising=False)
        assert EventChannel.from_env() is None  # a socket, not the pipe
        monkeypatch.setenv(event_channel.EVENT_FD_ENV, str(write_fd))
        channel = EventChannel.from_env()
        assert channel is not None  # the pipe itself
        channel.send({"type": "done"})
        assert os.read(read_fd, 100).startswith(b'{"type":"done"')
    finally:
        ours.close()
        theirs.close()
        os.close(read_fd)
        os.close(write_fd)


def test_a_program_that_closes_every_descriptor_keeps_its_stages():
    """A daemonizing program closes all its descriptors: memtop's kept-open ones too. The next
    cut opens them again instead of failing inside the program."""
    recorder = StageRecorder(None, collect=False)
    recorder.boundary("before")
    mark = recorder._mark
    for fd in (mark._status, mark._clear):  # as os.closerange(3, …) would
        os.close(fd)
    assert recorder.boundary("after")["peak_exact"] and recorder._mark is not mark
