"""Shared helpers: run the real `memtop` command in a subprocess, find installed backends."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from memtop.engine.backends import BACKENDS, is_installed
from memtop.engine.store import RunWriter

REPO = Path(__file__).resolve().parent.parent
HELPERS = Path(__file__).resolve().parent / "helpers"
INSTALLED = [b for b in BACKENDS if is_installed(b)]
MIB = 1024 * 1024


def pytest_configure(config: pytest.Config) -> None:
    """The run list's cache (engine/store/listing.py) and the engines' sockets
    (engine/runtime_dir.py) in folders of the test session's own, inherited by every memtop the
    tests start: never the user's ~/.cache, nor their running engines."""
    import tempfile

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="memtop-test-cache-")
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="memtop-test-run-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test marked with what it needs (tests/lanes.py): `make test-fast` leaves those out."""
    from lanes import needs_of

    for item in items:
        for need in needs_of(item):
            item.add_marker(need)


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    for name in ("XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        shutil.rmtree(os.environ.get(name, ""), ignore_errors=True)


def run_memtop(*args: str, timeout: float = 600, cwd: Path | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "memtop", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env={**os.environ, **(env or {})})


@dataclass(frozen=True)
class Said:
    """What a command did: its exit code and what it printed (as a finished process has)."""

    returncode: int
    stdout: str
    stderr: str


def memtop_here(*args: str, cwd: Path | None = None) -> Said:
    """`memtop ARGS` in this process (`_main`, its stdout and stderr captured): for commands
    that read files or refuse their input, which need no process of their own, so the tests
    that use it run in the fast lane (tests/lanes.py). Each test file that uses it keeps one
    test of the real command line."""
    from memtop.cli import _main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd or os.getcwd()), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = _main(list(args))
    return Said(code, out.getvalue(), err.getvalue())


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


def stage(name: str, t: float, rss_mib: float, peak_mib: float, **extra) -> dict:
    return {"name": name, "t": t, "t_end": t + 0.001, "wall": 0.0, "rss": int(rss_mib * MIB),
            "swap": 0, "peak": int(peak_mib * MIB), "peak_exact": True, **extra}


def write_run(path: Path, run_id: str = "r1", finish: bool = True,
              meta: dict | None = None) -> None:
    """A small run file made by the real writer: two stages, 50 samples, one swap event."""
    writer = RunWriter(str(path), {"run_id": run_id, "backend": "torch", "status": "running"})
    writer.add_samples([(1.0 + i / 100, (100 + i) * MIB) for i in range(50)])
    writer.add_proc([(1.0, 100 * MIB, 110 * MIB, 0, 90 * MIB, 10 * MIB, 1)])
    writer.add_stage(1, stage("initial", 1.0, 100, 100))
    writer.add_stage(2, stage("model_loaded", 1.5, 150, 160))
    writer.add_event(1.2, "swap", "info", "swap 120 MiB > 100 MiB")
    if finish:
        writer.set_meta({"status": "done", **(meta or {})})
        writer.close()
    else:
        writer.commit()
