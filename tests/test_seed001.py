"""A real client: seed 001's benchmark script, adapted only to build GPT-2 offline and to call
memtop.mark() beside its own record_stage(), run under `memtop run` (tiny GPT-2, torch).
memtop's stage figures must agree with the script's own [STAGE] prints."""

import sys
from pathlib import Path

import pytest

from conftest import needs_backend

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from seed001_compare import compare

pytestmark = [pytest.mark.backend, needs_backend("torch")]
SEED_STAGES = ["0_INITIAL", "1_MODEL_LOADED", "2_BEFORE_INFERENCE", "3_FIRST_INFERENCE",
               "4_SECOND_INFERENCE", "5_FINAL"]


def test_memtop_agrees_with_the_seed_scripts_own_stage_prints(tmp_path):
    result = compare("torch", "gpt2_tiny", str(tmp_path))
    rows = result["stages"]
    assert [r["stage"] for r in rows] == SEED_STAGES
    for row in rows:
        # Both read VmRSS of the same process a few microseconds apart.
        assert row["difference_mb"] == pytest.approx(0, abs=2.0), row
        assert row["memtop_swap_mb"] == pytest.approx(row["seed_swap_mb"], abs=1.0)
    # The seed polls every 20 ms; the kernel's peak is at least as high as any poll.
    assert result["memtop_peak_mb"] >= result["seed_polled_peak_mb"] - 1.0
