"""Files memtop writes for the user (`export -o`, `bench --json-summary`): whole, or not at all.

The text goes to a new file beside the target, renamed onto it once complete, so that a failed
export leaves an existing target as it was and a reader never sees half a trace. Never onto a
run file being read (nor its write-ahead log); never through a symbolic link at a name the user
did not give (the default `<run_id>.trace.json` in a shared folder): a link the user named with
`-o` is followed, and memtop says so.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Sequence
from typing import TextIO

from memtop.engine.errors import UserError
from memtop.engine.text import shown


def _same(a: str, b: str) -> bool:
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


class OutputFile:
    """`with OutputFile(path, named, reading) as out:` a text file that appears at `path` only
    when the block completes. `named`: the user gave this name (a link there is followed);
    `reading`: run files being read, never written over."""

    def __init__(self, path: str, named: bool, reading: Sequence[str] = ()) -> None:
        self.path, self.target, self.note = path, path, ""
        if os.path.islink(path):
            if not named:
                raise UserError(f"{shown(path)} is a symbolic link: memtop does not write "
                                "through a link it was not given (name the file with -o)")
            self.target = os.path.realpath(path)
            self.note = f" (through the link {shown(path)})"
        for run in reading:
            if any(_same(self.target, run + end) for end in ("", "-wal", "-shm", "-journal")):
                raise UserError(f"{shown(path)} is the run file being read: write elsewhere")
        if os.path.exists(self.target) and not os.path.isfile(self.target):
            raise UserError(f"{shown(path)} is not a regular file: write elsewhere")
        self._tmp: str | None = None
        self._file: TextIO | None = None

    def __enter__(self) -> TextIO:
        folder, name = os.path.split(self.target)
        try:
            fd, self._tmp = tempfile.mkstemp(dir=folder or ".", prefix=f".{name}.",
                                             suffix=".part")
        except OSError as exc:
            raise UserError(f"cannot write {shown(self.path)}: {exc.strerror}") from None
        self._file = os.fdopen(fd, "w", encoding="utf-8")
        return self._file

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        assert self._file is not None and self._tmp is not None
        try:
            self._file.close()
            if kind is None:
                os.chmod(self._tmp, _mode_for(self.target))
                os.replace(self._tmp, self.target)
                return
        except OSError as exc:
            kind = type(exc)
            raise UserError(f"cannot write {shown(self.path)}: {exc.strerror}") from None
        finally:
            if kind is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._tmp)


def _mode_for(target: str) -> int:
    """An existing target's permissions, else what the umask gives a new file (mkstemp makes
    0600)."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(os.stat(target).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask

