"""Shared helpers: run the real `memtop` command in a subprocess, find installed backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from memtop.engine.backends import BACKENDS, is_installed

REPO = Path(__file__).resolve().parent.parent
HELPERS = Path(__file__).resolve().parent / "helpers"
INSTALLED = [b for b in BACKENDS if is_installed(b)]


def run_memtop(*args: str, timeout: float = 600, cwd: Path | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "memtop", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env={**os.environ, **(env or {})})


def show_json(runs_dir: Path, ref: str = "latest") -> dict:
    result = run_memtop("show", ref, "--format", "json", "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def needs_backend(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not is_installed(name),
                              reason=f"backend {name} not installed: pip install 'memtop[{name}]'")


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    path = tmp_path / "runs"
    path.mkdir()
    return path
