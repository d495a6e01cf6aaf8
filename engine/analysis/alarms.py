"""Alarms raised while a run goes: swap, swap growth, memory pressure, a nearly full cgroup.

Each alarm fires once when its condition starts (pressure and cgroup re-arm when they clear), so
a run's event log says when trouble began rather than repeating it at every reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..probes.ranks import is_rank_name
from ..units import MIB


@dataclass(frozen=True)
class Thresholds:
    swap_info_mb: float = 100.0  # seed 001: "moderate swap"
    swap_warning_mb: float = 1000.0  # seed 001: "indicates memory pressure"
    pressure_some_pct: float = 10.0  # /proc/pressure/memory "some" avg10
    cgroup_fraction: float = 0.9
    # Ranks of one job (named by RANK & co.) apart by more than this share of the largest, and
    # by at least rank_drift_min_mb: one rank holds what the others do not.
    rank_drift_pct: float = 25.0
    rank_drift_min_mb: float = 64.0


class AlarmWatch:
    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._fired: set[str] = set()
        self._first_swap: int | None = None

    def _once(self, key: str, t: float, level: str, message: str,
              out: list[dict[str, Any]]) -> None:
        if key not in self._fired:
            self._fired.add(key)
            out.append({"t": t, "kind": key.split(":")[0], "level": level, "message": message})

    def on_proc(self, t: float, swap: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        th = self.thresholds
        if self._first_swap is None:
            self._first_swap = swap
        if swap > self._first_swap:
            self._once("swap_growth", t, "info",
                       f"swap is growing during the run ({swap / MIB:.0f} MiB)", out)
        if swap > th.swap_warning_mb * MIB:
            self._once("swap:warning", t, "warning",
                       f"swap {swap / MIB:.0f} MiB > {th.swap_warning_mb:.0f} MiB: "
                       "memory pressure", out)
        elif swap > th.swap_info_mb * MIB:
            self._once("swap:info", t, "info",
                       f"swap {swap / MIB:.0f} MiB > {th.swap_info_mb:.0f} MiB", out)
        return out

    def on_system(self, t: float, psi_some: float | None, cgroup_usage: int | None,
                  cgroup_limit: int | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        th = self.thresholds
        if psi_some is not None:
            if psi_some >= th.pressure_some_pct:
                self._once("pressure", t, "warning",
                           f"memory pressure: tasks stalled {psi_some:.1f}% of the last 10 s", out)
            else:
                self._fired.discard("pressure")
        if cgroup_usage is not None and cgroup_limit:
            used = cgroup_usage / cgroup_limit
            if used >= th.cgroup_fraction:
                self._once("cgroup", t, "warning",
                           f"cgroup memory {used:.0%} of its limit "
                           f"({cgroup_limit / MIB:.0f} MiB)", out)
            else:
                self._fired.discard("cgroup")
        return out

    def on_workers(self, t: float, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rank drift: the ranks' RSS (processes named by rank only) too far apart."""
        out: list[dict[str, Any]] = []
        ranks = sorted((r for r in rows if is_rank_name(r.get("name"))), key=lambda r: r["rss"])
        if len(ranks) < 2:
            return out
        low, high = ranks[0], ranks[-1]
        spread = high["rss"] - low["rss"]
        th = self.thresholds
        if spread >= th.rank_drift_min_mb * MIB and spread > high["rss"] * th.rank_drift_pct / 100:
            self._once("rank_drift", t, "warning",
                       f"ranks drift apart: {high['name']} holds {high['rss'] / MIB:,.0f} MiB, "
                       f"{low['name']} {low['rss'] / MIB:,.0f} MiB "
                       f"({spread / high['rss']:.0%} of the larger)", out)
        return out

    def on_message(self, message: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The alarms a `proc` or `system` message raises (the live engine and replays with
        other thresholds both come through here)."""
        if message["type"] == "proc":
            return self.on_proc(message["t"], message["swap"])
        if message["type"] == "system":
            return self.on_system(message["t"], message["psi_some"], message["cgroup_usage"],
                                  message["cgroup_limit"])
        return []
