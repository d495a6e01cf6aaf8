"""Bad input: one line on stderr, exit code 2, no traceback."""

import importlib.util

import pytest

from memtop.cli import main
from memtop.engine import backends

from conftest import memtop_here, run_memtop, write_run
from tui_support import run_path


def assert_one_line_error(result, fragment: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("memtop: error:") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "fragment"), [
    (["bench", "--backend", "tensorflw", "--no-tui"], "unknown backend 'tensorflw'"),
    (["bench", "--backend", ",", "--no-tui"], "at least one"),
    (["bench", "--model", "/no/such/preset", "--no-tui"], "preset directory not found"),
    (["bench", "--model", "gpt2_nano", "--weights", "random", "--no-tui"], "knows only"),
    (["bench", "--interval-ms", "0", "--no-tui"], "must be from 0.5 to 60000"),
    (["bench", "--interval-ms", "-5", "--no-tui"], "must be from 0.5"),
    (["bench", "--interval-ms", "nan", "--no-tui"], "must be from 0.5"),
    (["run", "--interval-ms", "1e308", "--no-tui", "--", "true"], "must be from 0.5 to 60000"),
    (["run", "--interval-ms", "0.001", "--no-tui", "--", "true"], "must be from 0.5 to 60000"),
    (["bench", "--cgroup-pct", "1e308", "--no-tui"], "must be from 0 to 100"),
    (["bench", "--max-length", "0", "--no-tui"], "must be from 1"),
    (["bench", "--weights", "pretrained"], "invalid choice"),
    (["bench", "--backend", "openvino", "--mode", "training", "--no-tui"], "inference-only"),
    (["bench", "--batch-size", "1,x", "--no-tui"], "--batch-size"),
    (["bench", "--batch-size", "0", "--no-tui"], "must be positive"),
    (["bench", "--env", "NOEQUALS", "--no-tui"], "KEY=VALUE"),
    (["bench", "--leak-iterations", "-1", "--no-tui"], "must be from 0"),
    (["frobnicate"], "unknown command 'frobnicate': choose from bench"),
    (["show", "no-such-run"], "run not found"),
    (["run", "--no-tui"], "needs a command"),
    (["run", "--no-tui", "--"], "needs a command"),
    (["run", "--no-tui", "--", "no-such-program-xyz", "--flag"], "command not found: no-such"),
    (["attach", "999999999", "--no-tui"], "no process with PID 999999999"),
    (["attach", "2", "--no-tui"], "kernel thread"),
    (["attach", "nope"], "invalid int value"),
    (["show", "/tmp/definitely/missing.db"], "run file not found"),
])
def test_bad_command_lines(args, fragment, runs_dir):
    result = memtop_here(*args, "--runs-dir", str(runs_dir)) if args[0] in ("bench", "show") \
        else memtop_here(*args)
    if args[0] == "run" and "--" in args:  # the run directory goes before the command
        result = memtop_here(args[0], "--runs-dir", str(runs_dir), *args[1:])
    assert_one_line_error(result, fragment)


def test_corrupt_and_truncated_run_files(runs_dir):
    corrupt = runs_dir / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    assert_one_line_error(run_memtop("show", str(corrupt)), "corrupt.db")
    truncated = runs_dir / "truncated.db"
    write_run(truncated)
    truncated.write_bytes(truncated.read_bytes()[:5000])
    assert_one_line_error(run_memtop("show", str(truncated)), "truncated")
    text = runs_dir / "notes.db"
    text.write_text("not a run\n")
    assert_one_line_error(run_memtop("show", str(text)), "not a memtop run file")


def test_a_directory_without_config_is_not_a_preset(tmp_path):
    assert_one_line_error(memtop_here("bench", "--model", str(tmp_path), "--no-tui"),
                          "no config.json")


def test_backend_not_installed_names_the_extra(monkeypatch, capsys):
    # This machine has every backend; hide one at the boundary memtop looks through.
    real = importlib.util.find_spec
    monkeypatch.setattr(backends.importlib.util, "find_spec",
                        lambda name, *a: None if name == "openvino" else real(name, *a))
    assert main(["bench", "--backend", "openvino", "--no-tui"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["memtop: error: backend 'openvino' is not installed: "
                   "pip install 'memtop[openvino]'"]


def test_without_a_terminal_runs_fall_back_to_text_and_screens_refuse(runs_dir):
    from tui_support import BENCH_RUNS

    result = run_memtop("run", "--runs-dir", str(runs_dir), "--", "true")
    assert result.returncode == 0 and "running without the TUI" in result.stderr
    assert "memory by stage" in result.stderr  # memtop's lines; stdout is the program's
    assert_one_line_error(run_memtop("replay", str(BENCH_RUNS[0])), "needs a terminal")
    assert_one_line_error(run_memtop("diff", str(BENCH_RUNS[0]), str(BENCH_RUNS[1])),
                          "needs a terminal")


def test_runs_dir_problems_are_one_line_naming_the_folder(tmp_path):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    for args in (["ls", "--runs-dir", str(a_file)], ["--runs-dir", str(a_file), "ls"],
                 ["show", "latest", "--runs-dir", str(a_file)],
                 ["run", "--no-tui", "--runs-dir", str(a_file), "--", "true"]):
        result = memtop_here(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.strip() == f"memtop: error: runs folder {a_file}: is a file, " \
                                        "not a folder"


def test_a_closed_pipe_is_not_an_error(tmp_path):
    import subprocess
    import sys

    many = [run_path("torch")] * 60  # more than a pipe holds: the writer meets the closed end
    for args in (["show", *many], ["show", *many, "--format", "json"],
                 ["show", *many, "--format", "csv"]):
        reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL)
        writer = subprocess.run([sys.executable, "-m", "memtop", *args], stdout=reader.stdin,
                                stderr=subprocess.PIPE, text=True)
        reader.stdin.close()
        reader.wait()
        assert writer.returncode == 0 and "Traceback" not in writer.stderr, writer.stderr


def test_an_unknown_preset_is_refused_before_any_session_starts(tmp_path):
    for extra in (["--no-tui"], []):  # headless, and where the TUI would have opened
        result = memtop_here("bench", "--model", "gpt2_mediun_en", "--runs-dir", str(tmp_path),
                             *extra)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "memtop: error: unknown preset 'gpt2_mediun_en': not a keras-hub preset name, a "
            "preset directory, a handle (kaggle://, hf://), keras.applications.NAME or "
            "file.py:function; did you mean 'gpt2_medium_en'?")
        assert not list(tmp_path.glob("*.db"))  # no session was started to find it out
