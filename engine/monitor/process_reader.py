"""One process of a session's tree as the sampler reads it at every wake-up: its high-water mark
taken (probes/peak_mark.py: each reading the exact maximum since the one before) where memtop may
reset it, else its RSS from statm (a point sample)."""

from __future__ import annotations

from ..probes.peak_mark import SAMPLER, PeakMark
from ..probes.procfs import ProcessGone, StatmReader, StatusMemory, read_status


class ProcessReader:
    def __init__(self, pid: int, peaks_dir: str | None) -> None:
        """`peaks_dir` None: point samples. Raises ProcessGone if the process has gone."""
        self.pid = pid
        self.mark = self._open_mark(pid, peaks_dir)
        self.refused = peaks_dir is not None and self.mark is None
        self._statm = StatmReader(pid) if self.mark is None else None
        self._high = 0  # its highest since the last status reading
        self._status: StatusMemory | None = None  # as its last take read it

    @staticmethod
    def _open_mark(pid: int, peaks_dir: str | None) -> PeakMark | None:
        if peaks_dir is None:
            return None
        try:
            mark = PeakMark(pid, SAMPLER, peaks_dir)
        except OSError:  # the folder went away: point samples
            return None
        if mark.can_reset:
            return mark
        mark.close()
        return None

    @property
    def maxima(self) -> bool:
        return self.mark is not None

    def read(self) -> tuple[int, int]:
        """(RSS now, the highest since the previous read); raises ProcessGone."""
        if self.mark is None:
            assert self._statm is not None
            rss = self._statm.rss_bytes()
            return rss, rss
        taken = self.mark.try_take()
        if taken is None:  # another party is taking it now: the RSS alone, this once
            status = read_status(self.pid)
            return status.rss, status.rss
        if taken.status.rss == 0:  # an exited (zombie) process has no memory lines
            raise ProcessGone(self.pid)
        if not taken.reset:  # refused from now on: point samples
            self.mark.close()
            self.mark, self.refused = None, True
            self._statm = StatmReader(self.pid)
        self._high, self._status = max(self._high, taken.peak), taken.status
        return taken.status.rss, taken.peak

    def status(self) -> tuple[StatusMemory, int]:
        """Its status at the status rate, and its peak since the previous one (its own VmHWM
        where memtop does not reset it)."""
        status = self._status if self.mark is not None and self._status is not None else \
            read_status(self.pid)
        hwm, self._high = max(status.hwm, self._high), 0
        return status, hwm

    def close(self) -> None:
        for reader in (self.mark, self._statm):
            if reader is not None:
                reader.close()
