"""Run files are untrusted input (issue #11): crafted files go through every command, in a real
pseudo-terminal, and through the TUI's screens. No escape sequence, no markup and no path from
a file may act: no ESC but colour (CSI) sequences, no BEL, no C1 or bidi characters, no
hyperlink, no traceback, nothing written outside the working folder, and refusals are one line
with exit code 2, each within a few seconds."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from terminal import in_terminal as run_in_terminal
from untrusted_files import BAD_VALUES, hostile_strings, with_bad_values, with_schema_object

from memtop.engine.client import ReplaySource
from memtop.engine.store import read_run
from memtop.tui.app import MemtopApp
from memtop.tui.screens.compare import CompareScreen

from tui_support import run_path, wait_until

ACTING = re.compile(rb"\x1b[^\[]|\x07|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def in_terminal(*args: str, cwd: Path | None = None, timeout: float = 30) -> tuple[int, bytes]:
    """`memtop ARGS` in a pseudo-terminal (250 columns): what a terminal would receive."""
    return run_in_terminal([sys.executable, "-m", "memtop", *args], cwd=cwd, timeout=timeout)


def assert_inert(out: bytes) -> None:
    found = ACTING.search(out)
    assert found is None, f"acting: {out[found.start() - 20:found.end() + 20]!r}"
    assert b"Traceback" not in out, out[-2000:].decode(errors="replace")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    return hostile_strings(folder / "hostile.db")


COMMANDS = [
    (("show", "{f}", "--stats"), 0),
    (("show", "{f}", "--format", "markdown"), 0),
    (("show", "{f}", "--format", "csv"), 0),
    (("show", "{f}", "--format", "json"), 0),
    (("ls", "--runs-dir", "{dir}"), 0),
    (("diff", "{f}", "{ok}", "--format", "table"), 0),
    (("diff", "{f}", "{ok}", "--format", "markdown"), 0),
    (("diff", "{f}", "{ok}", "--format", "csv"), 0),
    (("diff", "{f}", "{ok}", "--format", "json"), 0),
    (("check", "{f}", "--max-peak", "1MiB"), 1),
    (("check", "{f}", "--max-stage-peak", "nowhere=1GiB"), 2),
    (("export", "{f}", "-o", "-"), 0),
    (("export", "{f}", "--format", "csv", "-o", "-"), 0),
]


@pytest.mark.parametrize(("command", "code"), COMMANDS, ids=lambda c: " ".join(c)
                         if isinstance(c, tuple) else str(c))
def test_every_command_shows_a_hostile_file_as_data(hostile, command, code):
    args = [a.format(f=hostile, dir=hostile.parent, ok=run_path("jax")) for a in command]
    returncode, out = in_terminal(*args)
    assert_inert(out)
    assert returncode == code, out.decode(errors="replace")[-2000:]
    if command[0] == "show" and "json" not in command:
        assert b"link=file" in out  # the markup is there, as text


def test_a_program_printing_brackets_keeps_its_exit_code(tmp_path):
    program = "print('ERROR: cannot open [/data/train.csv]'); raise SystemExit(3)"
    returncode, out = in_terminal("run", "--no-tui", "--runs-dir", str(tmp_path), "--",
                                  sys.executable, "-c", program)
    assert returncode == 3 and b"Traceback" not in out
    returncode, out = in_terminal("show", "latest", "--runs-dir", str(tmp_path))
    assert returncode == 0 and b"[/data/train.csv]" in out
    assert_inert(out)


@pytest.mark.parametrize("run_id", ["/tmp/memtop-untrusted/abs", "../escape/rel", ".hidden"])
def test_export_never_writes_where_a_file_says(tmp_path, run_id):
    path = hostile_strings(tmp_path / "crafted.db", run_id=run_id)
    work = tmp_path / "work"
    work.mkdir()
    returncode, out = in_terminal("export", str(path), cwd=work)
    assert returncode == 0, out
    written = [p.name for p in work.iterdir()]
    assert len(written) == 1 and written[0].endswith(".trace.json")
    assert not written[0].startswith(".") and "/" not in written[0]
    assert not Path("/tmp/memtop-untrusted").exists() and not (tmp_path / "escape").exists()


@pytest.mark.parametrize("kind", ["recursive view", "view as stages", "trigger", "extra table",
                                  "index named like memtop's", "extra index"])
def test_schema_objects_never_run(tmp_path, kind):
    path = with_schema_object(tmp_path / "crafted.db", kind)
    for args in (("show", str(path)), ("export", str(path), "-o", "-"),
                 ("check", str(path), "--max-peak", "1GiB")):
        start = time.monotonic()
        returncode, out = in_terminal(*args, timeout=10)
        assert time.monotonic() - start < 10
        assert returncode == 2 and b"not a memtop run file" in out, out
        assert len(out.decode().strip().splitlines()) == 1
    returncode, out = in_terminal("ls", "--runs-dir", str(tmp_path), timeout=10)
    assert returncode == 0 and b"unreadable" in out


def test_a_fifo_named_like_a_run_file_blocks_nothing(tmp_path):
    os.mkfifo(tmp_path / "trap.db")
    (tmp_path / "real.db").write_bytes(Path(run_path("torch")).read_bytes())
    for args in (("ls",), ("show", "latest"), ("show", "trap")):
        returncode, out = in_terminal(*args, "--runs-dir", str(tmp_path), timeout=10)
        assert b"Traceback" not in out
        assert returncode in (0, 2), out
    returncode, out = in_terminal("show", str(tmp_path / "trap.db"), timeout=10)
    assert returncode == 2 and b"not a regular file" in out


# ---- the TUI -------------------------------------------------------------------------------

def visible(app: MemtopApp) -> str:
    return app.export_screenshot()


def assert_screen_inert(app: MemtopApp) -> None:
    svg = visible(app)
    assert ACTING.search(svg.encode()) is None
    assert "\x1b" not in svg and "\u202e" not in svg


async def test_the_dashboard_detail_and_events_show_a_hostile_file_as_data(hostile):
    app = MemtopApp(start="dashboard", source=ReplaySource([read_run(str(hostile))],
                                                           at_end=True))
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        assert_screen_inert(app)
        await pilot.press("enter")
        await pilot.pause()
        assert_screen_inert(app)
        assert "link=file" in visible(app)
        await pilot.press("escape", "e")
        await pilot.pause()
        assert_screen_inert(app)


async def test_the_diff_and_home_show_a_hostile_file_as_data(hostile):
    app = MemtopApp(start="diff", diff_paths=[str(hostile), run_path("jax")])
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await pilot.pause()  # the new screen's header sets its title after mounting
        assert_screen_inert(app)
    app = MemtopApp(start="home", runs_dir=str(hostile.parent))
    async with app.run_test(size=(200, 50)) as pilot:
        table = app.screen.query_one("#home-runs")
        await wait_until(pilot, lambda: table.row_count >= 1)
        await pilot.pause()
        assert_screen_inert(app)


# ---- a real terminal: tmux's clipboard and the pane title stay untouched ------------------

@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
@pytest.mark.parametrize("command", ["show", "replay"])
def test_tmux_clipboard_and_title_survive_a_hostile_file(hostile, command):
    socket = f"memtop-untrusted-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True)

    line = f"{sys.executable} -m memtop {command} {hostile}; sleep 30"
    tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "200", "-y", "50",
         f"env TERM=xterm-256color LANG=C.UTF-8 sleep 0.5; {line}")
    try:
        # Let applications write tmux's buffers and set the pane title, as a careless setup would.
        tmux("set-option", "-g", "set-clipboard", "on")
        tmux("set-option", "-g", "allow-rename", "on")
        tmux("select-pane", "-t", "t", "-T", "clean")
        deadline = time.monotonic() + 20
        screen = ""
        while time.monotonic() < deadline and "link=file" not in screen:
            time.sleep(0.3)
            screen = tmux("capture-pane", "-p", "-t", "t").stdout
        assert "link=file" in screen, screen  # drawn as text
        assert "Traceback" not in screen
        buffers = tmux("list-buffers").stdout
        assert "curl" not in buffers and buffers.strip() == "", buffers
        assert tmux("display-message", "-p", "-t", "t", "#{pane_title}").stdout.strip() == "clean"
    finally:
        tmux("kill-server")
    # The terminal is gone (as with a dropped SSH connection): memtop must not run on.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _memtop_on(hostile):
        time.sleep(0.2)
    assert not _memtop_on(hostile), "memtop still runs after its terminal went away: " + \
        _what_runs(hostile)


def _what_runs(path: Path) -> str:
    """For a failure's message: each process left, with its threads' states."""
    found = subprocess.run(["pgrep", "-af", f"memtop .*{path}"], capture_output=True,
                           text=True).stdout
    out = [found]
    for line in found.splitlines():
        for task in Path(f"/proc/{line.split()[0]}/task").glob("*"):
            with contextlib.suppress(OSError):
                out.append(f"  {(task / 'comm').read_text().strip()} "
                           f"{(task / 'stat').read_text().split()[2]} "
                           f"{(task / 'wchan').read_text()}")
    return "\n".join(out)


def _memtop_on(path: Path) -> bool:
    found = subprocess.run(["pgrep", "-f", f"memtop .*{path}"], capture_output=True, text=True)
    return bool(found.stdout.strip())


# ---- wrong types, missing keys, NaN; many files -------------------------------------------

@pytest.mark.parametrize("kind", BAD_VALUES)
def test_a_file_with_bad_values_is_damaged_and_the_folder_still_works(tmp_path, kind):
    path = with_bad_values(tmp_path / "bad.db", kind)
    (tmp_path / "good.db").write_bytes(Path(run_path("jax")).read_bytes())
    for args in (("show", str(path)), ("show", str(path), "--format", "json"),
                 ("diff", str(path), run_path("jax"), "--format", "json"),
                 ("export", str(path), "-o", "-"), ("check", str(path), "--max-peak", "1TiB")):
        returncode, out = in_terminal(*args, timeout=10)
        assert returncode == 2 and b"damaged run file" in out, (args, out)
        assert len(out.decode().strip().splitlines()) == 1 and b"NaN" not in out
    returncode, out = in_terminal("ls", "--runs-dir", str(tmp_path), timeout=10)
    assert returncode == 0 and b"unreadable" in out and b"jax" in out


def test_ls_never_holds_more_than_a_few_files_open(tmp_path):
    import resource

    for i in range(120):
        os.link(run_path("torch"), tmp_path / f"run-{i:03d}.db")

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    result = subprocess.run([sys.executable, "-m", "memtop", "ls", "--runs-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60,
                            preexec_fn=few_descriptors)
    assert result.returncode == 0, result.stderr[-1000:]
    assert result.stdout.count("-torch-gpt2") == 120 and "unreadable" not in result.stdout


def test_long_strings_are_cut_when_shown_and_cost_no_time(tmp_path):
    path = hostile_strings(tmp_path / "long.db", run_id="x" * 100_000)
    start = time.monotonic()
    returncode, out = in_terminal("check", str(path), "--max-peak", "1MiB", timeout=10)
    assert returncode == 1 and time.monotonic() - start < 5
    assert out.count(b"x") < 2_000  # cut with an ellipsis; the whole stays in the file
    assert len(read_run(str(path)).run_id) == 100_000
    start = time.monotonic()
    returncode, out = in_terminal("run", "--no-tui", "--runs-dir", str(tmp_path / "runs"), "--",
                                  sys.executable, "-c", "print('y' * 100_000); raise SystemExit(3)",
                                  timeout=20)
    assert returncode == 3 and time.monotonic() - start < 10
