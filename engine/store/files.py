"""Finding run files: RUN in every command is a path, a run id (or a unique prefix), or `latest`."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time

from ..errors import UserError
from ..text import safe_filename
from .schema import SUFFIX


def new_run_id(kind: str, model: str) -> str:
    """"20261130-211832-torch-gpt2_base_en-3fa2": when, what kind (a backend, run, attach,
    fit), the model's name made safe for a file name, and a random tail (two in one second)."""
    name = safe_filename(os.path.basename(os.path.normpath(model)), "model")
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{name}-{secrets.token_hex(2)}"


def list_run_files(runs_dir: str) -> list[str]:
    """Run files in runs_dir, newest first: regular files only (a FIFO named *.db would block
    whoever opens it)."""
    found: list[tuple[float, str]] = []
    try:
        with os.scandir(runs_dir) as entries:
            for entry in entries:
                if not entry.name.endswith(SUFFIX):
                    continue
                try:
                    info = entry.stat()
                except OSError:
                    continue  # gone, or a dangling link
                if stat.S_ISREG(info.st_mode):
                    found.append((_started(entry.name, info.st_mtime), entry.path))
    except FileNotFoundError:
        raise UserError(f"no runs folder at {os.path.abspath(runs_dir)} (another folder: "
                        "--runs-dir DIR)") from None
    except NotADirectoryError:
        raise UserError(f"runs folder {runs_dir}: is a file, not a folder") from None
    except OSError as exc:
        raise UserError(f"runs folder {runs_dir}: cannot read ({exc.strerror})") from None
    return [path for _, path in sorted(found, reverse=True)]


_STARTED = re.compile(r"^(\d{8}-\d{6})-")


def _started(name: str, mtime: float) -> float:
    """When a run started, from memtop's file name (YYYYMMDD-HHMMSS-…); else its file's time.
    The file's time is when the run last wrote, so a long run would list above later ones."""
    found = _STARTED.match(name)
    if found:
        with contextlib.suppress(ValueError):
            return time.mktime(time.strptime(found.group(1), "%Y%m%d-%H%M%S"))
    return mtime


def prepare_runs_dir(runs_dir: str) -> None:
    """The folder new run files go in: made if missing; one clear line if it cannot be."""
    try:
        os.makedirs(runs_dir, exist_ok=True)
    except FileExistsError:
        raise UserError(f"runs folder {runs_dir}: is a file, not a folder") from None
    except OSError as exc:
        raise UserError(f"runs folder {runs_dir}: cannot be made ({exc.strerror})") from None
    if not os.path.isdir(runs_dir):
        raise UserError(f"runs folder {runs_dir}: is a file, not a folder")
    if not os.access(runs_dir, os.W_OK | os.X_OK):
        raise UserError(f"runs folder {runs_dir}: cannot write there (permission denied)")


def resolve_run(ref: str, runs_dir: str) -> str:
    """RUN in every command: a path, a run id (or a unique prefix of one), or `latest`."""
    if ref == "latest":
        files = list_run_files(runs_dir)
        if not files:
            raise UserError(f"no run files in {os.path.abspath(runs_dir)} (another folder: "
                            "--runs-dir DIR)")
        return files[0]
    if os.path.exists(ref) or os.sep in ref or ref.endswith(SUFFIX):
        return ref
    exact = os.path.join(runs_dir, ref + SUFFIX)
    if os.path.exists(exact):
        return exact
    matches = [p for p in list_run_files(runs_dir) if os.path.basename(p).startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UserError(f"run id '{ref}' is ambiguous: {len(matches)} runs in {runs_dir} match")
    raise UserError(f"run not found: '{ref}' is neither a file nor a run id in {runs_dir}")
