"""What a list of runs shows of each run file (`memtop ls`, the home screen), kept between
listings, so that a folder of 10,000 runs lists in well under a second.

A run file is opened (and checked: opening.py, reader.py) only when it is new or has changed
since the last listing; an unchanged file is known by its identity (device, inode, size and
modification time, its write-ahead log's too). The cache is JSON (no pickle), one file per runs
folder under $XDG_CACHE_HOME/memtop (or ~/.cache/memtop). A cache that cannot be read or written
is ignored, never an error; what it holds is checked like any input, and shown as data. A run
still being written is never kept: its figures change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.summary import current_summary
from ..errors import UserError
from ..spec import command_text, is_program
from .reader import read_run

CACHE_VERSION = 3  # 2: `title`; 3: a peak never from the readings
# What a listing shows of a run: (field, the types a cached value may have).
FIELDS: dict[str, tuple[type, ...]] = {
    "run_id": (str,), "started_wall": (int, float, type(None)), "kind": (str,),
    "backend": (str,), "model": (str,), "weights": (str,), "status": (str,),
    "peak_mb": (int, float, type(None)), "title": (str,)}


@dataclass(frozen=True)
class Listed:
    """One run file in a list: its fields, or why it cannot be read."""

    path: str
    fields: dict[str, Any] | None
    problem: str | None = None


def cache_file(runs_dir: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    name = hashlib.sha256(os.path.realpath(runs_dir).encode()).hexdigest()[:16]
    return Path(base) / "memtop" / f"runs-{name}.json"


def identity(path: str) -> str | None:
    """What changes when a run file does: its inode, size and time, and its log's."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    parts = [os.path.basename(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns]
    with contextlib.suppress(OSError):
        wal = os.stat(path + "-wal")
        parts += [wal.st_size, wal.st_mtime_ns]
    return ":".join(map(str, parts))


def _fields_of(path: str) -> Listed:
    try:
        run = read_run(path)
    except UserError as exc:
        return Listed(path, None, str(exc).split(": ", 1)[-1])
    try:
        meta = run.meta
        fields = {"run_id": run.run_id, "started_wall": meta.get("started_wall"),
                  "kind": str(meta.get("kind", "bench")), "backend": str(meta.get("backend", "")),
                  "model": str(meta.get("model", "")), "weights": str(meta.get("weights", "")),
                  "status": str(meta.get("status", "?")),
                  # Never from the readings: a listing opens no block (a file without a
                  # stored summary, running or cut short, shows its stages' peak).
                  "peak_mb": (meta.get("summary") or
                              current_summary(run.stages, None, None)).get("peak_mb"),
                  # A program's run is its command: `python train.py --epochs 3`.
                  "title": command_text(meta) if is_program(meta) else ""}
    except UserError as exc:
        return Listed(path, None, str(exc).split(": ", 1)[-1])
    finally:
        run.close()
    return Listed(path, fields)


def _valid(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    if entry.get("problem") is not None:
        return isinstance(entry["problem"], str)
    fields = entry.get("fields")
    return isinstance(fields, dict) and all(
        isinstance(fields.get(name), kinds) for name, kinds in FIELDS.items())


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or \
            not isinstance(data.get("entries"), dict):
        return {}
    return {key: entry for key, entry in data["entries"].items() if _valid(entry)}


def _save(path: Path, entries: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".runs-")
        try:
            with os.fdopen(handle, "w") as f:
                json.dump({"version": CACHE_VERSION, "entries": entries}, f,
                          separators=(",", ":"))
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def listed_runs(runs_dir: str, paths: Sequence[str]) -> Iterator[Listed]:
    """Each run file of `paths` (in order) as a list shows it; files are opened only when
    the cache does not know them as they are now. The cache is written back at the end."""
    where = cache_file(runs_dir)
    known = _load(where)
    kept: dict[str, Any] = {}
    opened = 0
    for path in paths:
        key = identity(path)
        entry = known.get(key) if key else None
        if entry is not None:
            kept[key] = entry  # type: ignore[index]
            yield Listed(path, entry.get("fields"), entry.get("problem"))
            continue
        opened += 1
        listed = _fields_of(path)
        after = identity(path)
        still_written = listed.fields is not None and listed.fields["status"] == "running"
        if key and key == after and not still_written:
            kept[key] = {"fields": listed.fields, "problem": listed.problem}
        yield listed
    if opened or kept.keys() != known.keys():
        _save(where, kept)
