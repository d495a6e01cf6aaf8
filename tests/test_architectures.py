"""The families memtop builds with random weights are the published models: every full size's
parameter count, computed without allocating, equals keras-hub's published figure, and the way
it is counted agrees with building the model for real (on the tiny sizes)."""

import json
import os
import subprocess
import sys

import pytest

from memtop.engine.models.architectures import ARCHITECTURES, TINY

from conftest import HELPERS

pytestmark = pytest.mark.backend
GIB = 2**30


@pytest.fixture(scope="module")
def counts() -> dict:
    result = subprocess.run([sys.executable, str(HELPERS / "count_architectures.py")],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_full_sizes_are_the_published_sizes(counts):
    assert set(counts["full"]) == set(ARCHITECTURES)
    for name, arch in ARCHITECTURES.items():
        assert counts["full"][name] == arch.params, name
    # Gemma 7B and Llama 3 8B among them: 8 billion float32 parameters would be 30 GiB.
    assert counts["full"]["llama3_8b_en"] > 8e9
    assert counts["peak_rss"] < 3 * GIB


def test_counting_without_allocating_agrees_with_building(counts):
    assert set(counts["tiny_built"]) == set(TINY)
    assert counts["tiny_counted"] == counts["tiny_built"]
