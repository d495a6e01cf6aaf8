"""The fast lane leaves out every test that needs another process, tmux, Ray or a backend
session, and keeps the rest (tests/lanes.py)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

FAST = "not backend and not processes and not tmux and not cluster"


def test_the_fast_lane_holds_what_needs_nothing_and_only_that():
    listed = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-m", FAST],
                            capture_output=True, text=True, cwd=REPO, timeout=300).stdout
    assert "tests/test_units.py::test_sizes" in listed  # a unit test
    assert "tests/test_key_walk.py::" in listed  # Pilot tests
    # A CLI test that refuses its input runs memtop in-process (conftest.memtop_here).
    assert "test_units.py::test_a_bare_budget_is_refused_before_any_trial_runs" in listed
    for slow in ("test_engine_clients.py::", "test_tmux.py::", "test_cluster.py::",
                 "test_units.py::test_a_budget_too_large_to_store_is_one_line_not_a_traceback",
                 "test_faults.py::",  # engines, tmux, Ray, a memtop command, sessions
                 "test_interval_maxima.py::test_fifty"):  # an engine, two helpers down
        assert slow not in listed, slow
