"""memtop's pytest plugin (memtop/pytest_plugin.py), in real pytest runs (pytester): exact peaks
per phase, limits that pass and fail as they should, fixtures of a broader scope on their own
lines, the JSON report against its schema, a planted regression caught by --memtop-baseline,
and pytest-xdist workers gathered by the controller. Each inner pytest is a fresh process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

pytest_plugins = ["pytester"]

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "schemas" / \
    "pytest-report.schema.json"

TESTS = """
import pytest

def spike(mib):
    block = bytearray(b"\\x01") * (mib * 2**20)  # every page touched: resident
    del block

@pytest.fixture(scope="session")
def shared():
    return bytearray(b"\\x01") * (64 * 2**20)

@pytest.mark.memtop_limit("256MiB")
def test_over():
    spike(300)

@pytest.mark.memtop_limit("256MiB")
def test_under():
    spike(200)

def test_brief():
    spike(8)  # about a millisecond: shorter than any sampler's interval

def test_uses_shared(shared):
    spike(16)
"""


# Plugins of this suite that do not expect a session inside a session.
OUTER_ONLY = ("-p", "no:textual-snapshot", "-p", "no:syrupy")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A pytest of its own: the peaks of a process this suite has not already grown (a freed
    heap's resident pages would serve a test's allocation without raising RSS: what RSS is)."""
    return pytester.runpytest_subprocess(*OUTER_ONLY, *args)


def report(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    result = run(pytester, "--memtop-json", "out.json", *args)
    return result, json.loads((pytester.path / "out.json").read_text())


def by_name(data: dict) -> dict[str, dict]:
    return {t["nodeid"].split("::")[-1]: t for t in data["tests"]}


def test_peaks_are_exact_and_limits_fail_only_what_is_over(pytester):
    pytester.makepyfile(test_memory=TESTS)
    result, data = report(pytester)
    result.assert_outcomes(passed=3, failed=1)
    tests = by_name(data)
    for name, mib in (("test_over", 300), ("test_under", 200), ("test_brief", 8),
                      ("test_uses_shared", 16)):
        rise = tests[name]["call_rise_mib"]
        assert abs(rise - mib) <= mib * 0.02 + 0.5, (name, rise)  # exact: within 2%
    assert tests["test_over"]["outcome"] == "failed"
    failure = "\n".join(result.outlines)
    said = re.search(r"memtop_limit: peak RSS above the test's start ([\d.]+) MiB in call > "
                     r"limit 256\.0 MiB", failure)
    assert said and abs(float(said.group(1)) - 300) <= 6, failure
    assert "Traceback" not in failure  # a short message, not a stack


def test_a_session_fixture_is_its_own_line_not_its_first_test_s(pytester):
    pytester.makepyfile(test_memory=TESTS)
    result, data = report(pytester, "--memtop", "-k", "shared")
    [fixture] = [f for f in data["fixtures"] if f["name"] == "shared"]
    assert fixture["scope"] == "session" and fixture["first_used_by"].endswith("shared")
    assert abs(fixture["peak_mib"] - fixture["start_mib"] - 64) <= 2
    assert by_name(data)["test_uses_shared"]["call_rise_mib"] < 20  # its own 16 MiB only
    result.stdout.fnmatch_lines(["*memtop: highest peaks*", "*test_uses_shared*",
                                 "*fixture shared (session)*"])


def test_the_json_report_validates_against_its_schema(pytester):
    pytester.makepyfile(test_memory=TESTS)
    _, data = report(pytester)
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert len(data["tests"]) == 4


def test_absolute_limits_and_other_phases(pytester):
    pytester.makepyfile(test_limits="""
import pytest

@pytest.fixture
def heavy():
    block = bytearray(b"\\x01") * (100 * 2**20)
    yield
    del block

@pytest.mark.memtop_limit("1MiB", absolute=True)
def test_absolute():
    pass  # the process alone is far above a MiB

@pytest.mark.memtop_limit("50MiB", phase="setup")
def test_setup_phase(heavy):
    pass

@pytest.mark.memtop_limit("50MiB")
def test_call_only(heavy):
    pass  # its fixture's setup is not its call
""")
    result = run(pytester, )
    result.assert_outcomes(passed=1, errors=1, failed=1)
    result.stdout.fnmatch_lines(["*memtop_limit: peak RSS above the test's start * in setup*",
                                 "*memtop_limit: peak RSS * in call > limit 1.0 MiB*"])


def test_a_planted_regression_fails_the_session_against_its_baseline(pytester):
    pytester.makepyfile(test_grow="def test_grow():\n    b = bytearray(b'x') * (20 * 2**20)\n")
    first, _ = report(pytester)
    assert first.ret == 0
    (pytester.path / "out.json").rename(pytester.path / "before.json")
    same = run(pytester, "--memtop-baseline", "before.json")
    assert same.ret == 0
    pytester.makepyfile(test_grow="def test_grow():\n    b = bytearray(b'x') * (40 * 2**20)\n")
    grown = run(pytester, "--memtop-baseline", "before.json",
                               "--memtop-max-regression", "10%")
    assert grown.ret == 1
    grown.stdout.fnmatch_lines(["memtop: *test_grow: peak rise * MiB, was * MiB (+*% > 10%)"])


def test_a_test_id_with_an_escape_is_printed_as_data(pytester):
    pytester.makepyfile(test_evil="""
import pytest

@pytest.mark.parametrize("name", ["\\x1b]52;c;SGVsbG8=\\x07[/x]"], ids=lambda v: v)
def test_evil(name):
    b = bytearray(b"x") * (8 * 2**20)
""")
    result = run(pytester, "--memtop", "-o", "disable_test_id_escaping_and_forfeit_all_rights"
                 "_to_community_support=true")
    assert result.ret == 0
    out = "\n".join(result.outlines)
    assert "\x1b" not in out and "\x07" not in out
    assert "test_evil[\\x1b]52;c;SGVsbG8=\\x07[/x]]" in out


def test_a_baseline_or_limit_memtop_cannot_use_is_one_line(pytester):
    pytester.makepyfile(test_one="""
import pytest

@pytest.mark.memtop_limit("a lot")
def test_one():
    pass
""")
    (pytester.path / "bad.json").write_text("[1, 2]")
    for args, said in ((("--memtop-baseline", "missing.json"), "cannot read the baseline"),
                       (("--memtop-baseline", "bad.json"), "is not a memtop pytest report"),
                       (("--memtop-baseline", "bad.json", "--memtop-max-regression", "x"),
                        "not a percentage")):
        refused = run(pytester, *args)
        assert refused.ret == pytest.ExitCode.USAGE_ERROR, args
        assert "Traceback" not in "\n".join(refused.errlines + refused.outlines)
        refused.stderr.fnmatch_lines([f"ERROR: memtop: *{said}*"])
    limited = run(pytester)
    assert limited.ret == 1
    limited.stdout.fnmatch_lines(["*memtop_limit: not a size: 'a lot'*"])


def test_marks_need_no_flag_and_the_plugin_can_be_turned_off(pytester):
    pytester.makepyfile(test_memory=TESTS)
    assert run(pytester, "-k", "over").ret == 1
    assert run(pytester, "-k", "over", "-p", "no:memtop").ret == 0  # not loaded: no limit


def test_xdist_workers_measure_their_own_tests(pytester):
    pytester.makepyfile(test_memory=TESTS)
    result = pytester.runpytest_subprocess(*OUTER_ONLY, "-n", "2", "--memtop-json", "out.json")
    result.assert_outcomes(passed=3, failed=1)
    data = json.loads((pytester.path / "out.json").read_text())
    tests = by_name(data)
    assert set(tests) == {"test_over", "test_under", "test_brief", "test_uses_shared"}
    assert abs(tests["test_over"]["call_rise_mib"] - 300) <= 6
    assert any(f["name"] == "shared" for f in data["fixtures"])  # from a worker
