"""Sizes: binary and decimal are not the same."""

import pytest

from memtop.engine.errors import UserError
from memtop.engine.units import parse_percent, parse_rate, parse_size


@pytest.mark.parametrize(("text", "value"), [
    ("512MiB", 512 * 2**20), ("4GB", 4 * 10**9), ("4GiB", 4 * 2**30), ("1.5G", int(1.5 * 2**30)),
    ("0", 0), ("100", 100), ("64kB", 64_000), ("64KiB", 65_536), ("2 gib", 2 * 2**30),
    ("3M", 3 * 2**20), ("3MB", 3 * 10**6), (".5GiB", 2**29),
])
def test_sizes(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "4 GBs", "-1G", "1.2.3G", "G", "4XB", "nan", "1e3G",
                                  "99999999999999999999PiB", "9EiB"])
def test_bad_sizes_are_one_clear_line(text):
    with pytest.raises(UserError, match="not a size"):
        parse_size(text)


def test_rates_and_percentages():
    assert parse_rate("1MiB/iter") == 2**20 and parse_rate("1MiB") == 2**20
    assert parse_percent("5%") == 0.05 and parse_percent("12.5") == 0.125
    with pytest.raises(UserError):
        parse_rate("1MiB/s")
    with pytest.raises(UserError):
        parse_percent("lots")


def test_a_budget_too_large_to_store_is_one_line_not_a_traceback(tmp_path):
    from conftest import run_memtop

    result = run_memtop("fit", "--backend", "torch", "--model", "gpt2_tiny", "--budget",
                        "99999999999999999999PiB", "--no-tui", "--runs-dir", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
