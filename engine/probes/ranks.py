"""Which worker of a multi-process job this process is, and how it reaches memtop's event pipe
where its launcher closed it (torchrun starts its workers with close_fds).

Standard library only: this runs behind `memtop.stage()` in every rank, and in the engine,
which names each process of a run's tree by it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping

# The launchers' rank variables, most telling first: torchrun and Keras/JAX set RANK (and
# LOCAL_RANK), Open MPI, MPICH/Intel MPI and Slurm their own.
RANK_VARIABLES = (("RANK", "rank"), ("OMPI_COMM_WORLD_RANK", "rank"), ("PMI_RANK", "rank"),
                  ("SLURM_PROCID", "rank"), ("LOCAL_RANK", "local rank"))
MAX_ANCESTORS = 16  # launcher, agent, shell: a worker is a few levels below the session
RUN_VARIABLE = "MEMTOP_RUN"  # memtop.engine.spec.RUN_ENV: the run every process of it carries
RANK_WORDS = tuple(dict.fromkeys(word for _, word in RANK_VARIABLES))


def rank_name(environ: Mapping[str, str]) -> str | None:
    """"rank 3" where a launcher said so, else None (a process of one program)."""
    for variable, word in RANK_VARIABLES:
        value = environ.get(variable, "")
        if value.isdigit() and len(value) < 10:
            return f"{word} {int(value)}"
    return None


def is_rank_name(name: str | None) -> bool:
    """Whether a process's name (rank_name's, or "pid N command") says it is a rank."""
    return (name or "").startswith(RANK_WORDS)


def rank_key(name: str | None) -> tuple[bool, str, int]:
    """Sorts processes' names: ranks first, by number ("rank 2" before "rank 10"), then the
    rest by name."""
    text = name or ""
    word, _, number = text.rpartition(" ")
    ranked = is_rank_name(text)
    return (not ranked, word, int(number)) if number.isdigit() else (not ranked, text, 0)


def is_event_pipe(fd: int, inode: int | None) -> bool:
    """Whether `fd` is memtop's event pipe here: open, a pipe, and (where the engine said which)
    that very pipe, not a descriptor of the same number the program opened since."""
    try:
        found = os.fstat(fd)
    except OSError:
        return False
    if inode is None:  # a session started by an older engine: the number is all there is
        return True
    return stat.S_ISFIFO(found.st_mode) and found.st_ino == inode


def ancestors_pipe(fd: int, inode: int | None) -> int | None:
    """A new descriptor on memtop's event pipe through the nearest ancestor of the same run
    (same MEMTOP_RUN) that holds it as `fd`, where this process's own was closed or reused."""
    run = os.environ.get(RUN_VARIABLE)
    if not run or inode is None:
        return None
    pid = os.getppid()
    for _ in range(MAX_ANCESTORS):
        if pid <= 1:
            return None
        if environ_of(pid).get(RUN_VARIABLE) == run and _holds(pid, fd, inode):
            try:
                return os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY | os.O_CLOEXEC)
            except OSError:
                return None
        pid = _parent(pid)
    return None


def _holds(pid: int, fd: int, inode: int) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}") == f"pipe:[{inode}]"
    except OSError:
        return False


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            # The name (2nd field) may hold spaces and parentheses: read after the last ')'.
            return int(stream.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def environ_of(pid: int) -> dict[str, str]:
    """Another process's environment as it was started (for the engine's naming of workers)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as stream:
            entries = stream.read().split(b"\0")
    except OSError:
        return {}
    found = {}
    for entry in entries:
        key, equals, value = entry.partition(b"=")
        if equals:
            found[key.decode(errors="replace")] = value.decode(errors="replace")
    return found


def command_name(argv: list[str]) -> str:
    """What a command runs, as a person would name it: `python train.py` is train.py,
    `python -m torch.distributed.run` is torch.distributed.run, anything else its program."""
    first = os.path.basename(argv[0])
    if first.startswith("python") and len(argv) > 2 and argv[1] == "-m":
        return argv[2]
    if first.startswith("python") and len(argv) > 1 and not argv[1].startswith("-"):
        return os.path.basename(argv[1])
    return first


def process_name(pid: int) -> str | None:
    """The process's command_name (/proc/PID/comm where the command line is not readable: a
    thread may rename comm)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            argv = [a.decode(errors="replace") for a in stream.read().split(b"\0") if a]
    except OSError:
        argv = []
    if argv:
        return command_name(argv)
    try:
        with open(f"/proc/{pid}/comm", "rb") as stream:
            return stream.read().strip().decode(errors="replace") or None
    except OSError:
        return None
