"""Which size to try next: doubling from 1 until a trial does not fit, then bisection between
the largest that fit and the smallest that did not. Pure: the trials are real sessions
(memtop/cli/fit.py); memory grows with the size, so one answer per size is enough."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SizeSearch:
    largest: int = 4096  # doubling stops here (a model whose memory barely grows)
    fits: dict[int, bool] = field(default_factory=dict)

    def record(self, size: int, fits: bool) -> None:
        self.fits[size] = fits

    @property
    def best(self) -> int | None:
        """The largest size that fit below the smallest that did not (None: not even 1)."""
        limit = self.smallest_failure
        ok = [s for s, fit in self.fits.items() if fit and (limit is None or s < limit)]
        return max(ok) if ok else None

    @property
    def smallest_failure(self) -> int | None:
        failed = [s for s, fit in self.fits.items() if not fit]
        return min(failed) if failed else None

    def next_size(self) -> int | None:
        """The next size to try; None when the answer is known."""
        best, failure = self.best, self.smallest_failure
        if failure is None:
            nxt = 1 if best is None else min(best * 2, self.largest)
            return None if nxt in self.fits else nxt
        low = best or 0
        if failure - low <= 1:
            return None
        return (low + failure) // 2
