"""Finding run files: RUN in every command is a path, a run id (or a unique prefix), or `latest`."""

from __future__ import annotations

import os

from ..errors import UserError
from .schema import SUFFIX


def list_run_files(runs_dir: str) -> list[str]:
    """Run files in runs_dir, newest first."""
    try:
        names = [n for n in os.listdir(runs_dir) if n.endswith(SUFFIX)]
    except FileNotFoundError:
        return []
    paths = [os.path.join(runs_dir, n) for n in names]
    return sorted(paths, key=lambda p: (os.path.getmtime(p), p), reverse=True)


def resolve_run(ref: str, runs_dir: str) -> str:
    """RUN in every command: a path, a run id (or a unique prefix of one), or `latest`."""
    if ref == "latest":
        files = list_run_files(runs_dir)
        if not files:
            raise UserError(f"no runs in {runs_dir}")
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
