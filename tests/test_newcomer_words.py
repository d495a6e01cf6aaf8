"""Small things a newcomer met (issue #27, 9): each word on screen true and whole."""

from __future__ import annotations

from memtop.engine.client import RunState
from memtop.tui.widgets.run_card import RunCard


async def test_a_replay_just_before_a_stage_s_start_never_shows_a_negative_time():
    from textual.app import App

    state = RunState(backend="torch", model="gpt2", status="running", t_start=0.0,
                     t_last=9.99)
    state.stages = [{"name": "initial", "t": 10.0, "t_end": 10.0}]  # ends after the clock
    card = RunCard(state)

    class OneCard(App):
        def compose(self):
            yield card

    async with OneCard().run_test(size=(100, 12)) as pilot:
        await pilot.pause()
        figures = card._figures().plain
    assert "now loading the model 0.0s" in figures and "-0.0" not in figures


def test_a_setting_one_run_lacks_reads_unset_never_none(tmp_path):
    from memtop.engine.spec import RunSpec

    from conftest import memtop_here, write_run

    spec = RunSpec(backend="tensorflow").to_dict()
    write_run(tmp_path / "a.db", "a", meta={"spec": spec})
    write_run(tmp_path / "b.db", "b",
              meta={"spec": {**spec, "env": {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}}})
    for form in ("table", "markdown"):
        out = memtop_here("diff", str(tmp_path / "a.db"), str(tmp_path / "b.db"), "--format",
                         form).stdout
        line = next(x for x in out.splitlines() if "TF_FORCE_GPU_ALLOW_GROWTH" in x)
        assert "unset" in line and "None" not in line, line


async def test_esc_is_offered_only_where_it_goes_back():
    from memtop.tui.screens.dashboard import DashboardScreen
    from memtop.tui.screens.detail import DetailScreen

    from tui_support import replay_app, wait_until

    def offered(app) -> set[str]:
        return {b.binding.key for b in app.screen.active_bindings.values()
                if b.binding.show and b.enabled}

    app = replay_app()  # memtop replay: the dashboard is the first screen
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and "escape" not in offered(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        assert "escape" in offered(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))


def test_the_help_names_every_key_the_detail_screen_binds():
    from memtop.tui.screens.detail import DetailScreen
    from memtop.tui.screens.help import HELP

    detail = HELP.split("detail:", 1)[1].split("\n\n")[0]
    names = {"plus,equals_sign": "+", "minus": "-", "left": "←", "right": "→", "0": "0",
             "a": "a"}
    for binding in DetailScreen.BINDINGS:
        if binding.key in names:
            assert names[binding.key] in detail, binding.key


def test_check_of_a_run_that_did_not_complete_says_it_is_partial(tmp_path):
    from conftest import memtop_here, write_run

    write_run(tmp_path / "k.db", "k", meta={"status": "killed", "cause": "killed by SIGKILL"})
    result = memtop_here("check", str(tmp_path / "k.db"), "--max-peak", "3GiB")
    assert result.returncode == 0, result.stderr
    assert "partial run (killed: killed by SIGKILL)" in result.stdout
    assert "within budget" in result.stdout


def test_budgets_and_fit_titles_say_mib_as_every_screen_does():
    from memtop.engine.units import format_size, parse_size

    assert format_size(parse_size("3000MiB")) == "3,000.0 MiB"
    assert format_size(parse_size("2.79GiB")) == "2,857.0 MiB"
    assert format_size(parse_size("64KiB")) == "0.062 MiB"


async def test_home_at_80x24_shows_how_each_run_ended_and_its_peak(tmp_path):
    import shutil

    from textual.widgets import DataTable

    from memtop.tui.app import MemtopApp

    from tui_support import run_path, wait_until

    for backend in ("torch", "jax"):
        shutil.copy(run_path(backend), tmp_path)
    app = MemtopApp(start="home", runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#home-runs", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        await pilot.pause()
        labels = [str(column.label) for column in table.ordered_columns]
        widths = [column.get_render_width(table) for column in table.ordered_columns]
        shown_up_to = sum(widths[:labels.index("Peak MiB") + 1])
        assert shown_up_to <= table.scrollable_content_region.width, (labels, widths)
        assert labels.index("Status") < labels.index("Run id")


def test_the_live_table_keeps_every_run_on_one_line_at_120_columns():
    # Four runs mid-bench at 120x40 (#27, 2): `(running)` and two foreign frameworks made rows
    # wrap, and the last run fell off the table. Each row is one line; columns go instead.
    from rich.console import Console

    from memtop.engine.client import replayed_state
    from memtop.engine.report.bench_tables import comparison_rows_table
    from memtop.engine.report.comparison import comparison_row
    from memtop.engine.store import read_run

    from tui_support import BENCH_RUNS

    runs = [replayed_state(read_run(str(path))) for path in BENCH_RUNS[:4]]
    rows = [comparison_row(r.backend, r.weights, r.summary, r.sampled_max, r.foreign, None)
            for r in runs]
    statuses = ["done", "running", "queued", "running"]
    for width in (118, 98, 78):
        table = comparison_rows_table(rows, statuses, wrap=False)
        console = Console(width=width, color_system=None, file=None)
        lines = console.render_lines(table, console.options.update(width=width), pad=False)
        text = ["".join(segment.text for segment in line) for line in lines]
        header = next(i for i, line in enumerate(text) if line.startswith("──"))
        assert len(text) - header - 1 == 4, "\n".join(text)
        assert all(name in "\n".join(text) for name in ("torch (running)", "jax (queued)"))


async def test_the_compare_chart_is_reached_by_a_key_and_follows_the_runs():
    # #27, 3: at 120x40 ↓, PageDown and End stayed in the first table, and a chart opened
    # mid-run stopped its axis where the runs were.
    from textual.containers import VerticalScroll
    from textual_plotext import PlotextPlot

    from memtop.tui.screens.compare import CompareScreen

    from tui_support import replay_app, wait_until

    app = replay_app(at_end=False)
    source = app.initial_source
    async with app.run_test(size=(100, 24)) as pilot:  # the chart below the tables
        source.seek(source.duration * 0.4)  # mid-run: some stages done
        await wait_until(pilot, lambda: sum(bool(r.stages) for r in
                                            app.screen.board.runs) >= 2)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        early_end = screen.chart_end
        scroll = screen.query_one(VerticalScroll)
        chart = screen.query_one(PlotextPlot)
        assert scroll.scroll_y + scroll.size.height < chart.virtual_region.bottom  # below
        await pilot.press("c")
        await pilot.pause()
        assert scroll.scroll_y + scroll.size.height >= chart.virtual_region.bottom
        await pilot.press("c")
        await pilot.pause()
        assert scroll.scroll_y == 0
        source.seek(source.duration)  # the runs go on to their ends
        await wait_until(pilot, lambda: screen.chart_end > early_end, timeout=15)
