"""`memtop run --no-tui` shows the program's output as it comes and gives it the user's stdin,
as `time CMD` does; the run file keeps the output (`memtop show --log`), and the failure cause
is the exit code, with the last output kept apart."""

from __future__ import annotations

import sys

from terminal import in_terminal

from memtop.engine.probes.ranks import command_name
from memtop.engine.store import list_run_files, read_run

from conftest import HELPERS, run_memtop

LINES = [f"line {i}" for i in range(10_000)]


def test_a_terminal_gets_every_line_in_order_and_the_program_its_stdin(runs_dir):
    returncode, out = in_terminal(
        [sys.executable, "-m", "memtop", "run", "--no-tui", "--runs-dir", str(runs_dir), "--",
         sys.executable, str(HELPERS / "talks.py")],
        columns=80, timeout=60, answer=(b"your name? ", b"Ada\n"))  # typed at the terminal
    assert returncode == 3
    text = out.decode(errors="replace").replace("\r\n", "\n")
    printed = [line for line in text.splitlines() if line.startswith("line ")]
    assert printed == LINES  # every line, in order
    assert "got: Ada" in text
    assert text.index("line 9999") < text.index("memory by stage")  # memtop's table after
    (path,) = list_run_files(str(runs_dir))
    shown = run_memtop("show", path, "--log")
    assert shown.returncode == 0
    assert [line for line in shown.stdout.splitlines() if line.startswith("line ")] == LINES


def test_a_pipe_gets_only_the_programs_output_and_the_cause_is_the_exit_code(runs_dir):
    # Two pipes: their lines interleave as they come, so the two are apart in time here.
    program = ("import sys, time; print('hello from child', flush=True); time.sleep(0.3); "
               "print('oops', file=sys.stderr); sys.exit(3)")
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, "-c", program)
    assert result.returncode == 3
    assert result.stdout == "hello from child\n"  # memtop's own lines went to stderr
    assert "oops" in result.stderr and "memory by stage" in result.stderr
    meta = read_run(list_run_files(str(runs_dir))[0]).meta
    assert meta["cause"] == "exit code 3" and meta["last_output"] == "oops"


def test_output_past_the_cap_is_passed_on_and_the_cut_is_said(runs_dir):
    program = "print('x' * 100_000)"
    result = run_memtop("run", "--no-tui", "--max-output", "10KiB", "--runs-dir",
                        str(runs_dir), "--", sys.executable, "-c", program)
    assert result.returncode == 0 and result.stdout.count("x") == 100_000
    path = list_run_files(str(runs_dir))[0]
    kept = run_memtop("show", path, "--log").stdout
    assert kept.split("\n[memtop")[0].count("x") == 10 * 1024
    assert "the output was cut here" in kept
    assert any(e["kind"] == "output_cut" for e in read_run(path).events)


def test_a_run_is_named_by_its_script_or_module_as_its_processes_are(runs_dir):
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--",
                        sys.executable, "-m", "platform")
    assert result.returncode == 0, result.stderr[-2000:]
    assert read_run(list_run_files(str(runs_dir))[0]).meta["model"] == "platform"
    assert command_name([sys.executable, str(HELPERS / "talks.py"), "-v"]) == "talks.py"
    assert command_name(["/usr/bin/torchrun", "--nproc_per_node=2", "x.py"]) == "torchrun"
    assert command_name(["python3", "-u", "x.py"]) == "python3"  # an option first: the program
