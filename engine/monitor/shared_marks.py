"""The run's folder of shared high-water marks (probes/peak_mark.py): made in the engine's own
private folder before the session starts, named to the session (and every process it starts)
in MEMTOP_PEAKS_DIR, removed at the run's end. Without it (the folder cannot be made) the run
has point samples, and says so."""

from __future__ import annotations

import os
import shutil

from ..errors import UserError
from ..text import safe_filename
from .runtime_dir import runtime_dir


def make_peaks_dir(run_id: str) -> str | None:
    try:
        folder = os.path.join(runtime_dir(), "peaks", safe_filename(run_id))
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except (OSError, UserError):
        return None
    return folder


def remove_peaks_dir(folder: str | None) -> None:
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
