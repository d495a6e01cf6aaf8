"""A run stopped says why (issue #27, 6): the user's stop is no error, a terminal that closed
(SIGHUP) or a `kill` of memtop (SIGTERM) is said as such, in the run file and the event log."""

from __future__ import annotations

import pytest
from test_engine_detach import receive_until, waiting_specs

from memtop.engine import messages
from memtop.engine.client import EngineClient, fold
from memtop.engine.store import read_run


@pytest.mark.parametrize(("why", "cause", "level"), [
    ("user", "stopped by the user", "info"),
    ("hangup", "stopped: the terminal closed (SIGHUP)", "error"),
    ("terminated", "stopped: memtop was terminated (SIGTERM)", "error"),
])
def test_a_stopped_run_keeps_why_and_only_an_asked_stop_is_no_error(runs_dir, tmp_path, why,
                                                                      cause, level):
    client = EngineClient()
    client.submit(waiting_specs(runs_dir, tmp_path / "never"))
    seen = receive_until(client, "stage")
    client.stop(why)
    seen += receive_until(client, "finished")
    client.close()
    end = seen[-1]
    assert end["status"] == "killed" and end["cause"] == cause
    assert read_run(end["path"]).meta["cause"] == cause
    [state] = fold(seen).runs
    [logged] = [a for a in state.alarms if a["kind"] == "end"]
    assert logged["level"] == level and logged["message"] == f"killed: {cause}"


def test_every_reason_has_its_words():
    assert messages.STOP_REASONS["user"] == messages.USER_STOP
    assert messages.stop("hangup") == {"type": "stop", "why": "hangup"}


def test_an_engine_that_ends_after_a_stop_is_collected_at_once(runs_dir, tmp_path):
    import os

    client = EngineClient()
    client.submit(waiting_specs(runs_dir, tmp_path / "never"))
    receive_until(client, "stage")
    pid = client.pid
    client.stop()
    receive_until(client, "exited", timeout=60)
    # The client is still open (memtop still on screen), and the engine is no zombie.
    assert not os.path.exists(f"/proc/{pid}")
    client.close()
