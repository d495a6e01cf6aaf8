"""The README's command block runs as shown (issue #27): each text-mode command of its "read
what was recorded" block, with RUN, A, B and OLD standing for recorded runs, in a folder laid out
as a new user's (./runs)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import run_memtop
from tui_support import run_path

README = Path(__file__).resolve().parent.parent / "README.md"
NEEDS_A_TERMINAL = ("memtop", "memtop replay")  # the TUI: walked by the Pilot and tmux tests


def shown_commands() -> list[list[str]]:
    block = README.read_text().split("```text\nmemtop ", 1)[1].split("```", 1)[0]
    commands = []
    for line in ("memtop " + block).splitlines():
        command = line.split("#", 1)[0].strip()
        if not command.startswith("memtop") or command in NEEDS_A_TERMINAL or \
                command.startswith(("memtop replay", "memtop diff")):
            continue  # the TUI (`diff` without --format too): the Pilot and tmux tests
        command = re.sub(r"\[[^]]*\]", "", command)  # optional parts: [C …]
        commands.append(command.split())
    return commands


def test_every_text_command_of_the_readme_runs_as_shown(tmp_path):
    (tmp_path / "runs").mkdir()
    runs = {name: shutil.copy(run_path(backend), tmp_path / "runs")
            for name, backend in (("RUN", "torch"), ("A", "torch"), ("B", "jax"),
                                  ("OLD", "jax"))}
    commands = shown_commands()
    assert len(commands) >= 6, commands  # ls, show ×3, export, check
    for command in commands:
        args = [str(runs.get(word, word)) for word in command[1:]]
        result = run_memtop(*args, cwd=tmp_path)
        assert result.returncode in (0, 1), (command, result.stderr[-1000:])  # 1: over budget
        assert "Traceback" not in result.stderr and (result.stdout + result.stderr).strip(), command
    assert (tmp_path / "trace.json").exists()
