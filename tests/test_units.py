"""Sizes: binary and decimal are not the same."""

import pytest

from memtop.engine.errors import UserError
from memtop.engine.units import parse_percent, parse_rate, parse_size


@pytest.mark.parametrize(("text", "value"), [
    ("512MiB", 512 * 2**20), ("4GB", 4 * 10**9), ("4GiB", 4 * 2**30), ("1.5G", int(1.5 * 2**30)),
    ("0", 0), ("100B", 100), ("64kB", 64_000), ("64KiB", 65_536), ("2 gib", 2 * 2**30),
    ("3M", 3 * 2**20), ("3MB", 3 * 10**6), (".5GiB", 2**29),
])
def test_sizes(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "4 GBs", "-1G", "1.2.3G", "G", "4XB", "nan", "1e3G",
                                  "99999999999999999999PiB", "9EiB"])
def test_bad_sizes_are_one_clear_line(text):
    with pytest.raises(UserError, match="not a size"):
        parse_size(text)


@pytest.mark.parametrize("text", ["3000", "1500", " 0.5 ", "1"])
def test_a_number_without_a_unit_is_refused_with_a_hint(text):
    # Every screen says MiB: `--max-peak 3000` means 3000 MiB to its writer, never 3000 bytes.
    with pytest.raises(UserError, match=f"did you mean {text.strip()}MiB"):
        parse_size(text)


def test_a_bare_budget_is_refused_before_any_trial_runs(tmp_path):
    from conftest import memtop_here
    from tui_support import run_path

    for args, number in ((["fit", "--backend", "torch", "--model", "gpt2_tiny", "--budget",
                           "1500", "--no-tui"], "1500"),
                         (["check", run_path("jax"), "--max-peak", "3000"], "3000")):
        result = memtop_here(*args, "--runs-dir", str(tmp_path))
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == (f"memtop: error: a size needs its unit: '{number}' "
                                          f"(did you mean {number}MiB?)")
        assert not list(tmp_path.glob("*.db"))  # no trial was run


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


def test_a_fit_budget_below_what_python_needs_is_refused(tmp_path):
    from conftest import run_memtop

    result = run_memtop("fit", "--backend", "torch", "--model", "gpt2_tiny", "--budget",
                        "1500KiB", "--no-tui", "--runs-dir", str(tmp_path))
    assert result.returncode == 2 and "below what any Python process needs" in result.stderr
    assert not list(tmp_path.glob("*.db"))
