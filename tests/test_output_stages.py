"""`memtop run --stages-from-output` (issue #12): an unmodified script that prints the seeds'
`[STAGE]` lines gets its own stage table with exact kernel peaks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from memtop.engine.analysis.output_stages import OutputStages, compile_pattern

from conftest import run_memtop, show_json

HELPERS = Path(__file__).parent / "helpers"


def test_lines_are_split_across_chunks_and_named_by_the_first_group():
    stages = OutputStages("seed")
    assert stages.feed(1, b"[STAGE] 0_INI") == []
    assert stages.feed(2, b"[STAGE] other_stream: 1 MB\n") == ["other_stream"]
    assert stages.feed(1, b"TIAL: 12.00 MB (swap: 0.00 MB) - x\r\nnoise\n[STAGE] b: 1\n") == \
        ["0_INITIAL", "b"]
    assert OutputStages(r"epoch (\d+) done").feed(1, b"epoch 3 done\n") == ["3"]
    assert OutputStages(r"^== \w+").feed(1, b"== load\n") == ["== load"]  # no group: the match


def test_a_bad_pattern_is_a_one_line_error():
    with pytest.raises(ValueError, match="not a regular expression"):
        compile_pattern("([")
    result = run_memtop("run", "--no-tui", "--stages-from-output", "([", "--", "true")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "regular expression" in result.stderr


def test_a_seed_script_gets_its_stages_with_exact_peaks(runs_dir):
    result = run_memtop("run", "--no-tui", "--stages-from-output", "seed", "--runs-dir",
                        str(runs_dir), "--", sys.executable, str(HELPERS / "seed_shape.py"))
    assert result.returncode == 0, result.stderr
    assert "an ordinary line that is not a stage" in result.stdout  # output passes through
    run = show_json(runs_dir)
    stages = {s["name"]: s for s in run["stages"]}
    assert list(stages) == ["0_INITIAL", "1_SPIKE_FREED", "2_KEPT"]
    initial, spiked, kept = (stages[n] for n in stages)
    # The 256 MiB spike was freed before its line: only the kernel's peak can know of it.
    assert spiked["kernel_peak_mb"] - initial["rss_mb"] >= 250
    assert spiked["peak_exact"] is True
    assert spiked["rss_mb"] - initial["rss_mb"] < 50
    # The stage after it does not inherit the spike: the engine reset the peak at the line.
    assert kept["kernel_peak_mb"] < spiked["kernel_peak_mb"] - 100
    assert kept["rss_mb"] - spiked["rss_mb"] == pytest.approx(128, abs=16)


def test_once_a_program_marks_its_own_stages_output_lines_are_markers(runs_dir):
    # Both at once: the program's memtop.stage() is its own tree of stages, so from its first
    # stage on, a line of output is a marker (an instant with its RSS), never a stage that could
    # cut the program's (docs/metrics.md: markers from outside).
    program = ("import time, memtop\n"
               "print('[STAGE] before: 1 MB', flush=True); time.sleep(0.3)\n"
               "with memtop.stage('own'):\n    b = bytearray(32 * 2**20); time.sleep(0.1)\n"
               "print('[STAGE] after: 1 MB', flush=True); time.sleep(0.3)\n")
    result = run_memtop("run", "--no-tui", "--stages-from-output", "seed", "--runs-dir",
                        str(runs_dir), "--", sys.executable, "-c", program)
    assert result.returncode == 0, result.stderr
    run = show_json(runs_dir)
    stages = {s["name"]: s for s in run["stages"]}
    assert list(stages) == ["before", "own"]
    assert stages["before"]["peak_exact"] and stages["own"]["peak_exact"]
    assert stages["own"]["t_start"] >= stages["before"]["t"]
    [after] = run["markers"]
    assert after["name"] == "after" and after["t"] > stages["own"]["t"]
    assert after["rss_mb"] >= 32
