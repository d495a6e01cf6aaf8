"""memtop's pytest plugin (installed with memtop: the `pytest11` entry point `memtop`).

Each test's exact peak RSS, per phase (setup, call, teardown): the kernel's high-water mark is
read and reset at each phase's edges (the one recorder of memtop.markers, as `memtop.stage`
uses: no thread, no tracking), so a spike of a millisecond is in it. What it measures is this
process's resident memory (Python and native allocations alike), not what a test's children use
(those it waited for show as `children_peak`: RUSAGE_CHILDREN, the largest child yet).

- `@pytest.mark.memtop_limit("512MiB")`: the test fails where its call's peak rises more than
  that above the RSS it started from (`absolute=True`: the peak itself); `phase="setup"` or
  `"teardown"` limits that phase instead. No option is needed.
- `--memtop`: the tests with the highest peaks, at the end (`--memtop-top N`, default 10).
- `--memtop-json PATH`: every test's figures (docs/schemas/pytest-report.schema.json).
- `--memtop-baseline PATH` (a JSON report of before) with `--memtop-max-regression 10%`: the
  session fails where a test's call peak rose by more than that (and more than 1 MiB).
Fixtures: a function-scoped fixture's setup is its test's setup phase; a fixture of a broader
scope (class, module, session) is measured on its own and reported as a fixture, never charged
to the test that first needed it (its setup runs inside that test's setup phase, whose peak the
limit does not check unless asked). Under pytest-xdist each worker measures its own tests and
the controller gathers them (the figures travel in the reports' user_properties).
"""

from __future__ import annotations

import json
import resource
from collections.abc import Generator
from typing import Any

import pytest

from memtop.engine.errors import UserError
from memtop.engine.text import shown
from memtop.markers import measuring

MIB = 1024 * 1024
PHASES = ("setup", "call", "teardown")
SCHEMA = "memtop-pytest/1"
KEY = "memtop"  # of the figures in a report's user_properties
FIXTURES_KEY = "memtop-fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("memtop", "exact peak memory of each test (memtop)")
    group.addoption("--memtop", action="store_true",
                    help="print the tests with the highest peaks at the end")
    group.addoption("--memtop-top", type=int, default=10, metavar="N",
                    help="how many tests --memtop lists (default 10)")
    group.addoption("--memtop-json", metavar="PATH", help="write every test's figures as JSON")
    group.addoption("--memtop-baseline", metavar="PATH",
                    help="a JSON report to compare with: fail where a test's peak regressed")
    group.addoption("--memtop-max-regression", default="10%", metavar="PCT",
                    help="with --memtop-baseline: how much a call's peak may grow (10%%)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "memtop_limit(size, absolute=False, phase='call'): fail the test where its "
        "peak RSS rises more than `size` (e.g. '512MiB') above its start (absolute: the peak "
        "itself), measured exactly by memtop")
    config.pluginmanager.register(MemtopPlugin(config), "memtop-measure")


class MemtopPlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.recorder, self.kept = measuring()
        self.results: dict[str, dict[str, Any]] = {}  # nodeid -> figures (the controller's)
        self.fixtures: list[dict[str, Any]] = []  # broader-scope fixtures (the controller's)
        self._new_fixtures: list[dict[str, Any]] = []  # measured here, not yet reported
        self._phase: dict[str, Any] = {}  # this process's phase figures of the current test
        self._children = _children_peak()
        self.worker = hasattr(config, "workerinput")
        self.baseline = _read_baseline(config) if not self.worker else None

    # ---- measuring ------------------------------------------------------------------------

    def _measured(self, item: pytest.Item, phase: str) -> Generator[None, None, None]:
        children = _children_peak()
        block = self.recorder.begin(f"{item.nodeid} [{phase}]")
        try:
            yield
        finally:
            event = self.recorder.end(block) or {}
            after = _children_peak()
            self._phase[phase] = {
                "peak_mib": _mib(event.get("peak")),
                "start_mib": _mib(event.get("rss_start")),
                "end_mib": _mib(event.get("rss")),
                "exact": bool(event.get("peak_exact", False)),
                "children_peak_mib": _mib(after) if after > children else None}
            self._drain()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        self._phase = {}
        yield from self._measured(item, "setup")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        yield from self._measured(item, "call")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        yield from self._measured(item, "teardown")

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Generator[None, Any, Any]:
        if fixturedef.scope == "function":
            return (yield)
        block = self.recorder.begin(f"fixture {fixturedef.argname} [{fixturedef.scope}]")
        try:
            return (yield)
        finally:
            event = self.recorder.end(block) or {}
            self._new_fixtures.append({
                "name": fixturedef.argname, "scope": fixturedef.scope,
                "first_used_by": getattr(request, "_pyfuncitem", request.node).nodeid,
                "peak_mib": _mib(event.get("peak")), "start_mib": _mib(event.get("rss_start")),
                "end_mib": _mib(event.get("rss"))})

    def _drain(self) -> None:
        """This process's own recorder keeps its events: none is needed after its phase."""
        if self.kept is not None:
            self.kept.events.clear()

    # ---- judging ------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report = yield
        figures = self._phase.get(call.when)
        if figures is None:
            return report
        report.user_properties.append((KEY, {"phase": call.when, **figures}))
        if self._new_fixtures:  # with the report, so that xdist takes them to the controller
            report.user_properties.append((FIXTURES_KEY, self._new_fixtures))
            self._new_fixtures = []
        marker = item.get_closest_marker("memtop_limit")
        if marker is not None and report.passed:
            problem = _over_limit(marker, call.when, figures)
            if problem:
                report.outcome = "failed"
                report.longrepr = problem
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gathers every report's figures, in this process or (xdist) from the workers."""
        for key, value in report.user_properties:
            if key == FIXTURES_KEY and isinstance(value, list):
                self.fixtures.extend(f for f in value if isinstance(f, dict))
            if key == KEY and isinstance(value, dict) and report.when == value.get("phase"):
                entry = self.results.setdefault(report.nodeid, {"nodeid": report.nodeid})
                entry[report.when] = {k: v for k, v in value.items() if k != "phase"}
                if report.when == "call" or report.failed or "outcome" not in entry:
                    entry["outcome"] = report.outcome

    # ---- saying ---------------------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.worker or not self.config.getoption("memtop"):
            return
        rows = sorted(self.rows(), key=lambda r: r["call_rise_mib"] or 0.0, reverse=True)
        write = terminalreporter.write_line
        terminalreporter.section("memtop: highest peaks (call phase, above its start)")
        write(f"{'peak rise MiB':>14} {'peak MiB':>10} {'RSS change MiB':>15}  test (a "
              "fixture of a broader scope: its own line)")
        for row in rows[:self.config.getoption("memtop_top")]:
            write(f"{_fmt(row['call_rise_mib']):>14} {_fmt(row['call_peak_mib']):>10} "
                  f"{_fmt(row['change_mib'], '+,.1f'):>15}  {shown(row['nodeid'])}")
        for fixture in self.fixtures:
            if (_rise(fixture) or 0.0) < 1.0:
                continue  # the JSON report lists them all
            write(f"{_fmt(_rise(fixture)):>14} {_fmt(fixture['peak_mib']):>10} "
                  f"{'':>15}  fixture {shown(fixture['name'])} ({shown(fixture['scope'])})")

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for entry in self.results.values():
            call = entry.get("call") or {}
            start, end = call.get("start_mib"), call.get("end_mib")
            change = None if start is None or end is None else round(end - start, 3)
            out.append({**entry, "call_peak_mib": call.get("peak_mib"),
                        "call_rise_mib": _rise(call), "change_mib": change})
        return out

    def report(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "tests": self.rows(), "fixtures": self.fixtures}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker:
            return
        path = self.config.getoption("memtop_json")
        if path:
            with open(path, "w") as out:
                json.dump(self.report(), out, indent=1)
        if self.baseline is not None:
            regressed = _regressions(self.rows(), *self.baseline)
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            for line in regressed:
                if reporter is not None:
                    reporter.write_line(f"memtop: {line}", red=True)
            if regressed and session.exitstatus == 0:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _over_limit(marker: pytest.Mark, phase: str, figures: dict[str, Any]) -> str | None:
    from memtop.engine.units import format_size, parse_size

    if marker.kwargs.get("phase", "call") != phase:
        return None
    size = marker.args[0] if marker.args else marker.kwargs.get("size")
    try:
        limit = parse_size(str(size))
    except UserError as exc:
        return f"memtop_limit: {exc}"
    absolute = bool(marker.kwargs.get("absolute", False))
    peak = figures["peak_mib"] * MIB
    measured = peak if absolute else peak - figures["start_mib"] * MIB
    if measured <= limit:
        return None
    what = "peak RSS" if absolute else "peak RSS above the test's start"
    return (f"memtop_limit: {what} {format_size(round(measured))} in {phase} > limit "
            f"{format_size(limit)} (peak {figures['peak_mib']:,.1f} MiB, started at "
            f"{figures['start_mib']:,.1f} MiB)")


def _read_baseline(config: pytest.Config) -> tuple[dict[str, float], float, str] | None:
    """The baseline's call-phase rises by test id and the allowed growth, read when the session
    starts: a file that cannot be used stops pytest with one line before any test runs."""
    from memtop.engine.units import parse_percent

    path = config.getoption("memtop_baseline")
    if not path:
        return None
    allowed = config.getoption("memtop_max_regression")
    try:
        share = parse_percent(allowed)
        with open(path) as f:
            tests = json.load(f).get("tests")
        rises = {t["nodeid"]: float(t["call_rise_mib"]) for t in tests
                 if isinstance(t["nodeid"], str) and t.get("call_rise_mib") is not None}
    except UserError as exc:
        raise pytest.UsageError(f"memtop: --memtop-max-regression: {exc}") from None
    except OSError as exc:
        raise pytest.UsageError(f"memtop: cannot read the baseline {shown(path)}: "
                                f"{exc.strerror or exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise pytest.UsageError(f"memtop: {shown(path)} is not a memtop pytest report "
                                "(--memtop-json writes one)") from None
    return rises, share, allowed


def _regressions(rows: list[dict[str, Any]], before: dict[str, float], share: float,
                 allowed: str) -> list[str]:
    out = []
    for row in rows:
        old, new = before.get(row["nodeid"]), row["call_rise_mib"]
        if old is None or new is None:
            continue
        if new > old * (1 + share) and new - old > 1.0:  # a MiB: below it, noise of pages
            growth = (new / old - 1) * 100 if old else float("inf")
            out.append(f"{shown(row['nodeid'])}: peak rise {new:,.1f} MiB, was {old:,.1f} MiB "
                       f"(+{growth:.0f}% > {shown(allowed)})")
    return out


def _children_peak() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def _mib(value: Any) -> float | None:
    return round(value / MIB, 3) if isinstance(value, int | float) else None


def _rise(figures: dict[str, Any]) -> float | None:
    peak, start = figures.get("peak_mib"), figures.get("start_mib")
    return None if peak is None or start is None else round(peak - start, 3)


def _fmt(value: float | None, spec: str = ",.1f") -> str:
    return "-" if value is None else format(value, spec)
