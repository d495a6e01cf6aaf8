"""A run's card on the dashboard: title, figures, a max-envelope sparkline and a stage timeline."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.widget import Widget

from memtop.engine.analysis.summary import health, stage_depths
from memtop.engine.client import RunState, resample_max
from memtop.engine.text import shown
from memtop.engine.units import MIB, fmt_mib

from ..render import (
    data,
    fmt_duration,
    nested_band_row,
    sparkline,
    timeline,
    timeline_bands,
)

SHORT_NAMES = {"tensorflow": "tf", "torch": "torch", "jax": "jax", "openvino": "ov"}
HEALTH_CLASSES = ("health-good", "health-acceptable", "health-high", "health-critical")
STATUS_CLASSES = ("status-queued", "status-running", "status-done", "status-failed",
                  "status-killed", "status-cancelled", "status-detached")


class RunCard(Widget, can_focus=True):
    """Redraws only when its run's state has changed (`RunState.version`)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"runcard--band-a", "runcard--band-b",
                                              "runcard--spark", "runcard--label"}

    def __init__(self, state: RunState, ascii: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state
        self.ascii = ascii
        self._drawn_version = -1

    def on_mount(self) -> None:
        self.sync()

    def sync(self) -> None:
        """Brings titles and classes up to date; repaints if anything changed."""
        state = self.state
        if state.version == self._drawn_version:
            return
        self._drawn_version = state.version
        if state.kind == "bench":
            weights = state.weights or state.meta.get("weights") or "?"
            self.border_title = data(f"{state.backend} · {state.model} · {weights} weights")
        else:
            pid = state.meta.get("pid")
            self.border_title = data(f"{state.kind} · {state.model}" +
                                     (f" · pid {pid}" if pid else ""))
        foreign = [SHORT_NAMES.get(f, f) for f in state.foreign]
        badge = ""
        if foreign:
            badge = (" [+" if self.ascii else " ⚑ ") + ",".join(foreign) + ("]" if self.ascii
                                                                           else "")
        self.border_subtitle = data(f"{state.status} {fmt_duration(state.elapsed)}{badge}")
        level = health(state.peak / MIB) if state.peak else None
        self.set_class(level is None, "health-unknown")
        for name in HEALTH_CLASSES:
            self.set_class(name == f"health-{level}", name)
        for name in STATUS_CLASSES:
            self.set_class(name == f"status-{state.status}", name)
        self.set_class(bool(foreign), "-foreign")
        self.refresh()

    def render(self) -> Group:
        state = self.state
        width = max(self.content_size.width, 1)
        figures = Text(no_wrap=True, overflow="ellipsis")
        figures.append("RSS ", self.get_component_rich_style("runcard--label"))
        figures.append(f"{fmt_mib(state.rss)} MiB")
        if state.nproc > 1:  # RSS sums the tree (shared pages counted in each: detail says)
            figures.append(f" ({state.nproc} procs)")
        figures.append("  peak ", self.get_component_rich_style("runcard--label"))
        figures.append(f"{fmt_mib(state.peak)} MiB")
        figures.append("  swap ", self.get_component_rich_style("runcard--label"))
        figures.append(f"{fmt_mib(state.swap)} MiB")
        if state.gpu_used is not None:
            figures.append("  GPU ", self.get_component_rich_style("runcard--label"))
            figures.append(f"{fmt_mib(state.gpu_used)} MiB")
        leak = state.leak
        if leak and leak.get("slope_mb_per_iter") is not None:
            figures.append("  leak ", self.get_component_rich_style("runcard--label"))
            figures.append(f"{leak['slope_mb_per_iter']:+.2f} MiB/it ({shown(leak['verdict'])})")
        elif leak:
            figures.append(f"  iteration {leak['iterations']}")
        now = state.in_progress
        if now is not None:  # the stage going on, with how long it has been going
            names, since = now
            figures.append("  now ", self.get_component_rich_style("runcard--label"))
            path = " > ".join(shown(name, 40) for name in names[-3:])
            figures.append(f"{path} {fmt_duration((state.t_last or since) - since).strip()}")
        elif state.stage:
            figures.append("  stage ", self.get_component_rich_style("runcard--label"))
            figures.append(shown(state.stage, 80))
        history = state.rss_history
        spark = Text(no_wrap=True)
        if len(history) and state.t_start is not None:
            end = max(state.t_last or state.t_start, state.t_start + 1e-3)
            top = max(history.values)
            # The range it covers, said at its end: from 0 (the bottom) to the top.
            scale = f" 0-{fmt_mib(top)} MiB"
            cells = max(width - len(scale), 1)
            columns = resample_max(history.times, history.values, state.t_start, end, cells)
            spark.append(sparkline(columns, 0, top or 1, self.ascii),
                         self.get_component_rich_style("runcard--spark"))
            spark.append(scale, self.get_component_rich_style("runcard--label"))
        else:
            spark.append("waiting…" if not self.ascii else "waiting...")
        start = state.t_start or 0.0
        end = (state.t_last or 0.0) if state.status == "running" else 0.0
        depths = stage_depths(state.stages)
        top = [s for s, d in zip(state.stages, depths, strict=True) if d == 0]
        bands = timeline_bands(top, start, end, width,
                               current=shown(now[0][0], 40) if now else "…")
        styles = [self.get_component_rich_style("runcard--band-a"),
                  self.get_component_rich_style("runcard--band-b")]
        rows = [figures, spark, timeline(bands, styles, self.ascii)]
        nested = nested_band_row(state.stages, depths, start,
                                 max(end, state.t_last or start), width)
        self.set_class(bool(nested), "-nested")  # a row taller (memtop.tcss)
        if nested:
            rows.append(timeline(nested, styles, self.ascii))
        return Group(*rows)
