"""A cluster run's files on their way from its node into the driver's runs folder: chunks
written beside their place as NAME.db.part (and NAME.memray.part), moved into place once whole,
removed where they never arrive whole (a node lost mid-run)."""

from __future__ import annotations

import contextlib
import os
from typing import IO

from ..spec import CAPTURE_SUFFIX
from ..store import SUFFIX
from .on_node import CAPTURE, RUN_FILE

SUFFIXES = {RUN_FILE: SUFFIX, CAPTURE: CAPTURE_SUFFIX}


class Landing:
    def __init__(self) -> None:
        self.path: str | None = None  # where the run file lands, once the run has started
        self.whole = False  # every chunk came (the run's `finished` frame follows them)
        self._parts: dict[bytes, IO[bytes]] = {}

    def place(self, runs_dir: str, node_path: str, spec_id: str) -> str:
        """The local path for a node's run file: the same name in the driver's runs folder,
        or with the run's spec id where that name is taken."""
        name = os.path.basename(str(node_path))
        if not name.endswith(SUFFIX):
            name = f"{spec_id}{SUFFIX}"
        path = os.path.join(runs_dir, name)
        if os.path.exists(path):
            path = path[: -len(SUFFIX)] + f"-{spec_id}{SUFFIX}"
        self.path = path
        return path

    def write(self, kind: bytes, chunk: bytes) -> None:
        if self.path is None:
            return
        if kind not in self._parts:
            self._parts[kind] = open(self._part(kind), "wb")  # noqa: SIM115 (closed in close)
        self._parts[kind].write(chunk)

    def restart(self) -> None:
        """From the first chunk again (a second task fetches the file)."""
        self.close()
        self._parts.clear()

    def close(self) -> None:
        for part in self._parts.values():
            part.close()

    def land(self) -> str | None:
        """The files moved into place; None (and no part left) where they did not arrive
        whole: the run's messages were seen live, its file stays on its node."""
        self.close()
        if self.path is None or RUN_FILE not in self._parts:
            return None
        if not self.whole:
            for kind in self._parts:
                with contextlib.suppress(OSError):
                    os.remove(self._part(kind))
            return None
        for kind in self._parts:
            os.replace(self._part(kind), self.path[: -len(SUFFIX)] + SUFFIXES[kind])
        return self.path

    def _part(self, kind: bytes) -> str:
        assert self.path is not None
        return self.path[: -len(SUFFIX)] + SUFFIXES[kind] + ".part"
