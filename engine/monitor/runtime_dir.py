"""Where engines can be found: one Unix socket each in a per-user folder, as tmux keeps its.

The folder is `$XDG_RUNTIME_DIR/memtop` (per user, mode 0700, emptied at logout by systemd), or
`~/.local/state/memtop/engines` where there is none (SSH sessions without a login manager). A
socket is named after its engine's PID; the engine checks each caller's uid as well
(monitor/listener.py), so another user is refused even where the folder's mode would let them in.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass

from ..errors import UserError

SOCKET_SUFFIX = ".sock"
LOG_SUFFIX = ".log"
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux


def runtime_dir(create: bool = True) -> str:
    """The caller's engine folder; made (0700) if missing, refused if anyone else may write it."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        folder = os.path.join(base, "memtop")
    else:
        state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".local", "state")
        folder = os.path.join(state, "memtop", "engines")
    if len(folder) + 24 > MAX_SOCKET_PATH:  # too long for a socket: as tmux does
        folder = f"/tmp/memtop-{os.getuid()}"
    if create:
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot make the engines' folder {folder}: {exc.strerror}") from None
    _check_private(folder)
    return folder


def _check_private(folder: str) -> None:
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise UserError(f"{folder} must be a folder of yours that only you can use "
                        f"(mode 0700): memtop will not put its engines' sockets there")


def socket_path(pid: int) -> str:
    return os.path.join(runtime_dir(), f"engine-{pid}{SOCKET_SUFFIX}")


def log_path(pid: int) -> str:
    return os.path.join(runtime_dir(), f"engine-{pid}{LOG_SUFFIX}")


@dataclass(frozen=True)
class EngineAddress:
    pid: int
    path: str


def _engine_files(suffix: str) -> list[EngineAddress]:
    """The folder's `engine-PID<suffix>` files (sockets or logs), oldest PID first."""
    folder = runtime_dir(create=False)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    except OSError as exc:  # unreadable: say which folder, never a traceback
        raise UserError(f"cannot read the engines' folder {folder}: {exc.strerror}") from None
    found = []
    for name in names:
        stem = name.removeprefix("engine-").removesuffix(suffix)
        if name.startswith("engine-") and name.endswith(suffix) and stem.isdigit():
            found.append(EngineAddress(int(stem), os.path.join(folder, name)))
    return sorted(found, key=lambda a: a.pid)


def engine_addresses() -> list[EngineAddress]:
    """Every engine socket in the folder, oldest PID first (not yet checked to be alive)."""
    return _engine_files(SOCKET_SUFFIX)


def dead_engine_logs() -> list[str]:
    """Logs of engines that are gone: empty ones (a killed engine's) are removed; the others
    hold what an engine said before it ended badly, and are returned."""
    kept = []
    for log in _engine_files(LOG_SUFFIX):
        if os.path.exists(f"/proc/{log.pid}"):
            continue
        with contextlib.suppress(OSError):
            if os.path.getsize(log.path) == 0:
                os.unlink(log.path)
            else:
                kept.append(log.path)
    return kept


def remove_stale(address: EngineAddress) -> None:
    """A socket nobody listens on: its engine died without cleaning up (killed)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(address.path)
