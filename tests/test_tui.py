"""The TUI driven by Textual's Pilot, fed recorded runs through the replay source (no ML)."""

import pytest

from memtop.engine.spec import STAGES
from memtop.engine.store import read_run
from memtop.tui.app import MemtopApp
from memtop.tui.render import BLOCKS, band_label, timeline_bands
from memtop.tui.screens.compare import CompareScreen
from memtop.tui.screens.dashboard import DashboardScreen
from memtop.tui.widgets.process_list import ProcessList
from memtop.tui.widgets.run_card import RunCard

from conftest import write_run
from tui_support import SWAP_RUN, card_lines, replay_app, run_path, wait_until


async def test_the_dashboard_shows_a_card_per_run_of_a_recorded_bench():
    app = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        cards = list(app.screen.query(RunCard))
        assert sorted(c.state.backend for c in cards) == ["jax", "openvino", "tensorflow",
                                                          "torch"]
        assert all(c.state.status == "done" for c in cards)
        assert all("random weights" in c.border_title for c in cards)
        assert all(c.has_class("health-acceptable") or c.has_class("health-high")
                   for c in cards)


async def test_timeline_bands_are_in_stage_order():
    app = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for card in app.screen.query(RunCard):
            # The timeline shares the sparkline's time axis: the width less the scale's label.
            state, width = card.state, card.content_size.width - len(card._scale()[1])
            bands = timeline_bands(state.stages, state.t_start, 0.0, width)
            labels = [label.split(" ")[0] for label, _ in bands]
            assert labels == ["initial", "model", "before", "first", "second", "final"]
            assert sum(cells for _, cells in bands) == width
            # Drawn in that order, each label fitted to its band's width (whole numbers).
            drawn = card_lines(card)[2]
            assert drawn == "".join((" " + band_label(label, cells - 1))[:cells].ljust(cells)
                                    for label, cells in bands)
            assert [s["name"] for s in state.stages] == list(STAGES)
            # The widest band is the longest stage.
            longest = max(range(len(bands)), key=lambda i: bands[i][1])
            durations = [state.stages[0]["t"] - state.t_start] + [
                b["t"] - a["t"] for a, b in zip(state.stages, state.stages[1:], strict=False)]
            assert longest == durations.index(max(durations))


async def test_a_run_with_more_than_1000_mb_of_swap_raises_the_banner():
    app = replay_app([read_run(str(SWAP_RUN))])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        banner = app.screen.query_one("#banner")
        assert banner.has_class("-visible")
        assert "1000 MiB" in str(banner.render()) and "torch" in str(banner.render())
        assert any("swap" in n.message for n in app._notifications)
        await pilot.press("e")
        await pilot.pause()
        table = app.screen.query_one("#events")
        messages = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert any("memory pressure" in m for m in messages)


async def test_no_banner_without_alarms():
    app = replay_app([read_run(run_path("torch"))])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#banner").has_class("-visible")


async def test_the_diff_shows_deltas_with_the_right_sign():
    app = MemtopApp(start="diff", diff_paths=[run_path("torch"), run_path("openvino")])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        table = app.screen.query_one("#compare-peak_mb")
        rows = {str(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(table.row_count)}
        compile_delta = rows["first_inference"][3]  # OpenVINO keeps far more after compiling
        assert compile_delta.plain.startswith("+")
        assert compile_delta.style == app.screen.get_component_rich_style("compare--up")
        summary = app.screen.query_one("#compare-summary")
        values = {str(summary.get_row_at(i)[0]): summary.get_row_at(i)
                  for i in range(summary.row_count)}
        assert values["2nd inference (s)"][3].plain.startswith("-")  # OpenVINO is faster


async def test_pause_and_seek_in_a_replay():
    app = replay_app([read_run(run_path("jax"))], at_end=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        source = screen.source
        await pilot.press("space")
        paused_at = source.position
        await pilot.pause(0.3)
        assert source.paused and source.position == paused_at
        await pilot.press("right")
        assert source.position == pytest.approx(paused_at + 5.0)
        # What a seek reaches is read by the replay's own thread: a tick later.
        await wait_until(pilot, lambda: screen.board.runs[0].stages)  # 5 s in: imports done
        await pilot.press("end")
        await wait_until(pilot, lambda: screen.board.runs[0].status == "done")
        await pilot.press("home")
        await wait_until(pilot, lambda: len(screen.board.runs) == 1)  # the opening, again
        assert source.position == 0 and screen.board.runs[0].stages == []
        await pilot.press("plus")
        assert source.speed == 2.0


async def test_a_broken_theme_file_is_reported_not_fatal(tmp_path, monkeypatch):
    themes = tmp_path / "memtop" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#123456"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = replay_app([read_run(run_path("torch"))])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert any("broken.toml" in e and "not a colour" in e for e in app.startup_errors)
        assert any("broken.toml" in n.message for n in app._notifications)
        assert "mine" in app.available_themes  # the good user theme still loads
        assert app.theme == "memtop-dark"


async def test_the_theme_key_cycles_memtop_themes():
    app = replay_app([read_run(run_path("torch"))])
    async with app.run_test(size=(100, 30)) as pilot:
        seen = {app.theme}
        for _ in range(3):
            await pilot.press("t")
            seen.add(app.theme)
        assert {"memtop-dark", "memtop-light", "memtop-high-contrast"} <= seen


async def test_ascii_mode_draws_no_block_glyphs():
    app = replay_app(ascii=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        for card in app.screen.query(RunCard):
            text = "".join(card_lines(card)) + card.border_subtitle
            assert not set(text) & set(BLOCKS[1:] + "⚑…"), text
            assert text.isascii()


async def test_detail_opens_on_enter_and_esc_goes_back():
    app = replay_app([read_run(run_path("tensorflow"))])
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        table = app.screen.query_one("#stages")
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == list(STAGES)
        assert app.screen.title == "memtop · tensorflow · gpt2_medium_en"
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_at_80_columns_the_detail_shows_each_stages_exact_peak_and_a_programs_name(
        tmp_path):
    write_run(tmp_path / "r1.db", meta={"backend": "", "model": "train.py",
                                        "command": ["python", "train.py"]})
    app = replay_app([read_run(str(tmp_path / "r1.db"))])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.title == "memtop · python train.py"  # its command (issue #25)
        table = app.screen.query_one("#stages")
        headers = [str(column.label) for column in table.ordered_columns]
        shown_width = sum(column.get_render_width(table) for column in table.ordered_columns[:2])
        assert headers[1] == "Peak kernel" and shown_width < 80
        assert str(table.get_row_at(1)[1]) == "160.0"  # model_loaded's peak (write_run)


async def test_home_lists_runs_and_diffs_two_marked(tmp_path):
    import shutil

    for backend in ("torch", "jax"):
        shutil.copy(run_path(backend), tmp_path)
    app = MemtopApp(start="home", runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#home-runs")
        await wait_until(pilot, lambda: table.row_count == 2)
        await pilot.press("space", "down", "space", "d")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await pilot.pause()  # the new screen's header sets its title after mounting


async def test_a_killed_session_raises_the_banner(tmp_path):
    path = tmp_path / "killed.db"
    write_run(path, "killed-run", meta={"status": "killed",
                                        "cause": "killed by the OOM killer (SIGKILL)"})
    app = replay_app([read_run(str(path))])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        banner = app.screen.query_one("#banner")
        assert banner.has_class("-visible") and banner.has_class("-error")
        assert "OOM killer" in str(banner.render())


async def test_the_new_benchmark_form_rejects_bad_input_without_starting_anything(tmp_path):
    app = MemtopApp(start="home", runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        app.screen.query_one("#bench-backends").value = "tensorflw"
        await pilot.click("#bench-start")
        await pilot.pause()
        assert any("unknown backend 'tensorflw'" in n.message for n in app._notifications)
        assert app.sources == []


async def test_home_lists_processes_filters_and_attaches(tmp_path):
    import subprocess
    import sys

    token = "memtop-attach-target"
    child = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(60)  # {token}"])
    app = MemtopApp(start="home", runs_dir=str(tmp_path))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("slash", *token, "enter")
            processes = app.screen.query_one(ProcessList)
            await wait_until(pilot, lambda: processes.pids == [child.pid])
            await pilot.press("enter")
            for _ in range(40):
                await pilot.pause(0.1)
                cards = list(app.screen.query(RunCard))
                if cards and cards[0].state.status == "running" and cards[0].state.rss:
                    break
            assert isinstance(app.screen, DashboardScreen)
            card = app.screen.query_one(RunCard)
            assert card.state.kind == "attach" and str(child.pid) in card.border_title
            await pilot.press("q")
        assert child.poll() is None  # quitting detaches: the watched process goes on
    finally:
        child.kill()
        child.wait()


async def test_processes_show_cpu_and_sort_by_key_or_header(tmp_path):
    import subprocess
    import sys

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    app = MemtopApp(start="home", runs_dir=str(tmp_path))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            processes = app.screen.query_one(ProcessList)
            # CPU % needs two scans (2 s apart): the busy child tops the list by CPU.
            await wait_until(pilot, lambda: (processes.cpu.get(spinner.pid) or 0) > 50,
                             timeout=10)
            await pilot.press("c")
            assert processes.pids[0] == spinner.pid
            cpu = [processes.cpu.get(pid) or 0.0 for pid in processes.pids]
            assert cpu == sorted(cpu, reverse=True)
            await pilot.press("p")
            assert processes.pids == sorted(processes.pids)
            assert str(processes.columns["PID"].label).endswith("▲")
            # A click on the "RSS MiB" header sorts by it, as htop's header does.
            columns = list(processes.columns.values())
            x = sum(c.get_render_width(processes) for c in columns[:3]) + 2
            await pilot.click(ProcessList, offset=(x, 0))
            await pilot.pause()
            assert processes.sort_by == "rss"
            rss = [next(p.rss for p in processes.processes if p.pid == pid)
                   for pid in processes.pids]
            assert rss == sorted(rss, reverse=True)
    finally:
        spinner.kill()
        spinner.wait()


@pytest.mark.parametrize("kind", ["point samples", "interval maxima"])
async def test_the_cards_peak_says_sampled_only_where_readings_are_point_samples(tmp_path, kind):
    """A peak from point samples may miss a spike between two readings: the card says so."""
    path = tmp_path / "run.memtop"
    write_run(path, meta={"readings": {"kind": kind, "why": None if kind == "interval maxima"
                                       else "asked for (--point-samples)"}})
    app = replay_app([read_run(str(path))])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        (card,) = list(app.screen.query(RunCard))
        figures = card_lines(card)[0]
        assert "peak" in figures
        assert ("(sampled)" in figures) == (kind == "point samples"), figures
