"""A memray allocation capture, read as the untrusted input it is (docs/threat-model.md).

A capture arrives beside a run file copied from elsewhere, and memray's reader is native code
written for captures one made oneself: a crafted or damaged one can crash it (SIGSEGV, heap
corruption), spin for ever on `/dev/zero`, block on a FIFO, or print escape sequences in its
warnings. So a capture is only ever a regular file beside its run file (a symbolic link only to
a file in the same folder), and it is read in a child process with limits: CPU time, address
space, wall clock, no core dump, its own session. The child hands back JSON; what it prints
besides is never shown raw (the last line of a failure goes through the one sanitizer). A
crash, a limit or an error is "damaged allocation capture (why)": one line, exit 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import UserError
from ..text import shown

CPU_S = 120  # seconds of CPU the reader may use
WALL_S = 180  # and of wall clock (a big capture of a long run takes tens of seconds)
MEMORY_FLOOR = 4 * 1024**3  # address space: at least this, else 32 times the capture's size
MAX_REPLY = 64 * 1024 * 1024  # the child's JSON: stages × sites, far below this

_CHILD = """
import json, resource, sys
# Limits first, before memray's native code sees a byte of the capture.
cpu, memory = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
from memtop.engine.analysis.allocations import stage_sites
from memtop.engine.errors import UserError
request = json.load(sys.stdin)
try:
    found = {"sites": stage_sites(request["capture"], request["stages"])}
except UserError as exc:
    found = {"error": str(exc)}
sys.stdout.write(json.dumps(found))
"""


def checked_capture(capture: str) -> None:
    """A regular file, or a link to one in the same folder; anything else is a UserError."""
    try:
        info = os.lstat(capture)
    except FileNotFoundError:
        raise UserError(f"no allocation capture at {shown(capture)} (was the run made with "
                        "--allocations, and the .memray file kept beside it?)") from None
    except OSError as exc:
        raise UserError(f"cannot read {shown(capture)}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        target = os.path.realpath(capture)
        if os.path.dirname(target) != os.path.dirname(os.path.abspath(capture)):
            raise UserError(f"damaged allocation capture ({shown(capture)} is a link out of "
                            "its folder)")
        with contextlib.suppress(OSError):
            info = os.stat(target)
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"damaged allocation capture ({shown(capture)} is not a regular file)")


def read_sites(capture: str, stages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """analysis.allocations.stage_sites of `capture`, computed in a child under limits."""
    checked_capture(capture)
    memory = max(MEMORY_FLOOR, 32 * os.path.getsize(capture))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(CPU_S), str(memory)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = child.communicate(json.dumps({"capture": capture, "stages": list(stages)},
                                                default=str).encode(), timeout=WALL_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise UserError(f"damaged allocation capture (reading it took over {WALL_S} s)") \
            from None
    if child.returncode < 0:
        name = signal.Signals(-child.returncode).name
        raise UserError(f"damaged allocation capture (its reader died of {name})")
    try:
        if len(out) > MAX_REPLY:
            raise ValueError("too long")
        reply = json.loads(out)
    except ValueError:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no reply"]
        raise UserError(f"damaged allocation capture ({shown(last[0], 200)})") from None
    if not isinstance(reply, dict) or not isinstance(reply.get("sites", []), list):
        raise UserError("damaged allocation capture (its reader's reply)")
    if "error" in reply:
        raise UserError(shown(reply["error"], 500))
    return reply["sites"]
