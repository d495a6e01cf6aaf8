"""What a new user meets (issue #12): keys that do what they say, errors that help, lists in the
order they claim. Each test failed before its fix."""

from __future__ import annotations

import pytest

from memtop.tui.app import MemtopApp
from memtop.tui.widgets.run_card import RunCard

from conftest import run_memtop, write_run
from tui_support import BENCH_RUNS, replay_app, run_path, wait_until


def test_a_misspelt_command_gets_a_suggestion_and_one_prefix():
    result = run_memtop("bnech")
    assert result.returncode == 2
    assert result.stderr.strip() == ("memtop: error: unknown command 'bnech': "
                                     "did you mean 'bench'?")


def test_a_runs_folder_that_does_not_exist_or_is_empty_says_where_memtop_looked(tmp_path):
    for args in (["ls"], ["show", "latest"]):
        result = run_memtop(*args, cwd=tmp_path)  # ./runs, as a new user types it
        assert result.returncode == 2
        assert result.stderr.strip() == (f"memtop: error: no runs folder at {tmp_path}/runs "
                                         "(another folder: --runs-dir DIR)")
    (tmp_path / "runs").mkdir()
    said = {"ls": run_memtop("ls", cwd=tmp_path).stdout,
            "show": run_memtop("show", "latest", cwd=tmp_path).stderr}
    for text in said.values():
        assert f"no run files in {tmp_path}/runs (another folder: --runs-dir DIR)" in text


def test_ls_lists_runs_by_start_time_not_by_when_their_file_last_changed(tmp_path):
    import os

    write_run(tmp_path / "20261123-191011-attach-x-aaaa.db", "20261123-191011-attach-x-aaaa")
    write_run(tmp_path / "20261123-191117-torch-m-bbbb.db", "20261123-191117-torch-m-bbbb")
    os.utime(tmp_path / "20261123-191117-torch-m-bbbb.db", (1, 1))  # older file, later start
    listed = run_memtop("ls", "--runs-dir", str(tmp_path)).stdout
    assert listed.index("191117-torch") < listed.index("191011-attach")


def test_check_prints_the_run_id_whole_on_one_line(tmp_path):
    run_id = "20261123-191117-torch-gpt2_medium_en-bbbb"
    write_run(tmp_path / f"{run_id}.db", run_id)
    result = run_memtop("check", str(tmp_path / f"{run_id}.db"), "--max-peak", "1MiB")
    assert result.returncode == 1 and run_id in result.stdout.splitlines()[0]


async def test_arrows_move_between_cards():
    app = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        cards = list(app.screen.query(RunCard))
        assert len(cards) == len(BENCH_RUNS)
        cards[0].focus()
        await pilot.press("down")
        assert app.focused is cards[1]
        await pilot.press("down", "up")
        assert app.focused is cards[1]


async def test_escape_in_a_standalone_diff_quits_instead_of_leaving_a_blank_screen():
    app = MemtopApp(start="diff", diff_paths=[run_path("torch"), run_path("jax")])
    async with app.run_test(size=(120, 40)) as pilot:
        from memtop.tui.screens.compare import CompareScreen

        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not app.is_running


async def test_keys_that_cannot_act_say_why():
    app = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("m", "s")
        await pilot.pause()
        said = " ".join(n.message for n in app._notifications)
        assert "marker" in said and "replay" in said


async def test_a_screenshot_lands_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = replay_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.action_screenshot()
        # Textual saves in a thread that reports back to the app: wait for its report, or the
        # thread would wait for ever on an app that has gone (and hold the interpreter's exit).
        await wait_until(pilot, lambda: any("Saved screenshot" in n.message
                                            for n in app._notifications))
        assert list(tmp_path.glob("*.svg"))  # in the working folder, not ~/Downloads


@pytest.mark.parametrize("where", ["home", "diff"])
async def test_the_palette_s_screenshot_lands_in_the_working_folder_on_every_screen(
        tmp_path, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    app = MemtopApp(start=where, runs_dir=str(tmp_path),
                    diff_paths=[run_path("torch"), run_path("jax")] if where == "diff" else ())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Screenshot")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("screenshot" in n.message.lower()
                                            for n in app._notifications))
        said = " ".join(n.message for n in app._notifications)
        assert "Failed" not in said and list(tmp_path.glob("*.svg")), said


async def test_the_detail_of_a_program_run_shows_its_command_not_model_fields(tmp_path):
    from memtop.engine.client import ReplaySource
    from memtop.engine.store import read_run

    write_run(tmp_path / "prog.db", "prog", meta={
        "kind": "run", "command": ["python", "train.py"], "pid": 4242, "backend": "",
        "model": "train.py", "last_output": "epoch 3 done"})
    app = MemtopApp(start="dashboard", source=ReplaySource([read_run(str(tmp_path / "prog.db"))],
                                                           at_end=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        text = str(app.screen.query_one("#meta").render())
        assert "python train.py" in text and "4242" in text and "epoch 3 done" in text
        assert "weights" not in text and "host    " not in text


async def test_the_new_benchmark_form_is_labelled_and_esc_leaves_it(tmp_path):
    from textual.widgets import Input, Label, TabbedContent

    app = MemtopApp(start="home", runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        labels = [str(label.render()) for label in app.screen.query(Label)]
        assert any("Backends" in text for text in labels)
        assert any("Model" in text for text in labels)
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "runs"
        assert app.is_running  # esc left the form; it did not quit or type into it


async def test_s_cancels_queued_runs_and_says_so_in_the_card_and_after_the_table(tmp_path, capsys):
    import sys

    from memtop.cli.headless import print_unstarted
    from memtop.engine.client import LiveSource
    from memtop.engine.spec import RunSpec

    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    specs = [RunSpec(backend="", model=name, command=sleeper, runs_dir=str(tmp_path))
             for name in ("first", "second")]
    source = LiveSource(specs)
    app = MemtopApp(start="dashboard", source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 2)
        cards = list(app.screen.query(RunCard))
        await wait_until(pilot, lambda: cards[0].state.status == "running")
        assert cards[1].state.status == "queued"
        await pilot.press("s")
        await wait_until(pilot, lambda: cards[1].state.status == "cancelled", timeout=15)
        await wait_until(pilot, lambda: cards[0].state.status == "killed", timeout=15)
        await pilot.pause(0.5)  # the dashboard redraws changed cards on its timer
        assert "cancelled" in str(cards[1].border_subtitle)
        await pilot.press("s")  # nothing going any more: it says so, and does not claim to stop
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert said[-1] == "no runs are going"
    print_unstarted(source.unstarted)
    assert "run: second: cancelled (never started)" in capsys.readouterr().out


async def test_at_80_columns_the_help_has_its_border_and_the_footer_every_key():
    from textual.containers import VerticalScroll
    from textual.widgets import Footer

    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        assert footer.virtual_size.width <= footer.size.width == 80  # no key cut off
        shown = " ".join(str(getattr(w, "description", "")) for w in footer.query("*"))
        assert "Theme" in shown and "Help" in shown
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one(VerticalScroll)
        assert box.region.x >= 0 and box.region.right <= 80  # the right border is on screen
        assert box.region.bottom <= 24


async def test_cards_label_sizes_in_mib_and_say_the_range_of_their_sparkline():
    import io

    from rich.console import Console

    app = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for card in app.screen.query(RunCard):
            out = io.StringIO()
            Console(file=out, width=card.content_size.width, color_system=None).print(
                card.render())
            text = out.getvalue()
            top = f"{app.screen.cards.scale_top() / 2**20:,.0f}"  # one scale for all cards
            assert f" 0-{top} MiB shared" in text  # the sparkline's range: from 0 to its top
            assert " MB" not in text and "RSS " in text and " MiB" in text


async def test_the_diff_scrolls_sideways_at_80_columns_and_names_its_figures():
    from textual.widgets import DataTable

    from memtop.tui.screens.compare import CompareScreen

    app = MemtopApp(start="diff", diff_paths=[str(p) for p in BENCH_RUNS])  # four runs
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await pilot.pause()
        stages = app.screen.query_one("#compare-peak_mb", DataTable)
        assert stages.virtual_size.width > stages.size.width  # more columns than fit
        await pilot.press(*["right"] * 9)
        await pilot.pause()
        assert stages.scroll_x > 0  # the last columns came into view
        summary = app.screen.query_one("#compare-summary", DataTable)
        first = [str(summary.get_row_at(i)[0]) for i in range(2)]
        assert first == ["Model loading (MiB)", "Compilation (MiB)"]
