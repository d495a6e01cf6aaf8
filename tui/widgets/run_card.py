"""A run's card on the dashboard: title, figures, a max-envelope sparkline and a stage timeline."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.widget import Widget

from memtop.engine.analysis.stage_tree import placed
from memtop.engine.analysis.summary import health
from memtop.engine.client import RunState, resample_max
from memtop.engine.report.comparison import SHORT_NAMES
from memtop.engine.spec import node_label
from memtop.engine.text import shown
from memtop.engine.units import MIB, fmt_duration, fmt_mib

from ..render import (
    data,
    nested_band_row,
    process_lines,
    sparkline_rows,
    timeline,
    timeline_bands,
    with_markers,
)

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
        # The memory the top of the sparkline stands for, in bytes: the dashboard's shared
        # scale (the largest RSS of any of its runs), or None for the card's own (`z`).
        self.shared_top: float | None = None
        self._drawn_version = -1
        self._title = self._subtitle = ""
        self._styled_as: tuple = ()
        self._levels_of = 0  # how many stages the two lists below were made from
        self._top_level: list[dict] = []  # the stages in no block: the timeline's bands
        self._inner: list[dict] = []  # the blocks one block deep: the second timeline row

    def set_scale(self, shared_top: float | None) -> None:
        """The dashboard's scale (None: the card's own); repaints if it changed."""
        if shared_top != self.shared_top:
            self.shared_top = shared_top
            self.refresh()

    def on_resize(self) -> None:
        self.refresh()

    def on_mount(self) -> None:
        self.sync()

    def sync(self) -> None:
        """Brings titles and classes up to date; repaints if anything changed."""
        state = self.state
        if state.version == self._drawn_version:
            return
        self._drawn_version = state.version
        if state.trial:  # `memtop fit`: the trials differ by their size only
            title = f"{state.backend} · {state.trial}"
        elif state.kind == "bench":
            weights = state.weights or state.meta.get("weights") or "?"
            title = f"{state.backend} · {state.model} · {weights} weights"
        else:
            pid = state.meta.get("pid")  # a program's run: its command (RunState.title_name)
            title = state.title_name.split(" @")[0] + (f" · pid {pid}" if pid else "")
        if node := node_label(state.meta):  # a cluster ran it: which node
            title += f" @ {node}"
        if title != self._title:  # setting a border title costs a repaint: only on a change
            self._title = title
            self.border_title = data(title)
        foreign = [SHORT_NAMES.get(f, f) for f in state.foreign]
        badge = ""
        if foreign:
            badge = (" [+" if self.ascii else " ⚑ ") + ",".join(foreign) + ("]" if self.ascii
                                                                           else "")
        subtitle = f"{state.status} {fmt_duration(state.elapsed)}{badge}"
        if subtitle != self._subtitle:
            self._subtitle = subtitle
            self.border_subtitle = data(subtitle)
        level = health(state.peak / MIB) if state.peak else None
        classes = (level, state.status, bool(foreign))
        if classes != self._styled_as:  # restyling costs: only when one of them changed
            self._styled_as = classes
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
        scale = self._scale()  # (top in bytes, its label) once there are readings
        # One time axis for the sparkline and the timeline: the width less the scale's label.
        axis = max(width - len(scale[1]), 1) if scale else width
        start = state.t_start or 0.0
        end = (state.t_last or 0.0) if state.status == "running" else 0.0
        if len(state.stages) != self._levels_of:  # stages only ever grow: sorted once each
            self._levels_of = len(state.stages)
            depths = [place.depth for place in placed(state.stages)]
            self._top_level = [s for s, d in zip(state.stages, depths, strict=True) if d == 0]
            self._inner = [s for s, d in zip(state.stages, depths, strict=True)
                           if d == 1 and "block" in s]
        nested = nested_band_row(self._inner, start, max(end, state.t_last or start), axis)
        # Rows: the figures, the sparkline (all the height left), the timeline, and the blocks
        # inside blocks where there is room.
        rows = max(self.content_size.height, 3)
        if rows - 3 < 1:
            nested = []
        # Each process of a tree of several (ranks), where the sparkline keeps two rows.
        processes = process_lines(state.processes, rows - 4 - (1 if nested else 0))
        spark = self._sparkline(axis, rows - 2 - (1 if nested else 0) - len(processes), scale)
        now = state.in_progress
        bands = timeline_bands(self._top_level, start, end, axis,
                               current=shown(now[0][0], 40) if now else "…")
        styles = [self.get_component_rich_style("runcard--band-a"),
                  self.get_component_rich_style("runcard--band-b")]
        label = self.get_component_rich_style("runcard--label")
        lines = [self._figures(), *(Text(line, label, no_wrap=True, overflow="ellipsis")
                                    for line in processes),
                 spark, self._with_markers(timeline(bands, styles, self.ascii), start, end)]
        if nested:
            lines.append(timeline(nested, styles, self.ascii))
        return Group(*lines)

    def _with_markers(self, line: Text, start: float, end: float) -> Text:
        """The timeline with the run's markers (`m`) on it, on the bands' own time axis."""
        state = self.state
        if not state.markers:
            return line
        last = max([end, *(s["t"] for s in self._top_level[-1:])])
        return with_markers(line, [m["t"] for m in state.markers], start, last, self.ascii)

    def _figures(self) -> Text:
        state = self.state
        label = self.get_component_rich_style("runcard--label")
        figures = Text(no_wrap=True, overflow="ellipsis")
        figures.append("RSS ", label)
        figures.append(f"{fmt_mib(state.rss)} MiB")
        if state.nproc > 1:  # RSS sums the tree (shared pages counted in each: detail says)
            figures.append(f" ({state.nproc} procs)")
        figures.append("  peak ", label)
        figures.append(f"{fmt_mib(state.peak)} MiB")
        if state.point_samples:  # a spike between two readings may be missed: say so
            figures.append(" (sampled)", label)
        figures.append("  swap ", label)
        figures.append(f"{fmt_mib(state.swap)} MiB")
        if state.gpu_used is not None:
            figures.append("  GPU ", label)
            figures.append(f"{fmt_mib(state.gpu_used)} MiB")
        leak = state.leak
        if leak and leak.get("slope_mb_per_iter") is not None:
            figures.append("  leak ", label)
            figures.append(f"{leak['slope_mb_per_iter']:+.2f} MiB/it ({shown(leak['verdict'])})")
        elif leak:
            figures.append(f"  iteration {leak['iterations']}")
        now = state.in_progress
        if now is not None:  # the stage going on, with how long it has been going
            names, since = now
            figures.append("  now ", label)
            path = " > ".join(shown(name, 40) for name in names[-3:])
            # A replay's clock may stand just before the stage's own start: never "-0.0s".
            going = max(0.0, (state.t_last or since) - since)
            figures.append(f"{path} {fmt_duration(going).strip()}")
        elif state.stage:
            figures.append("  stage ", label)
            figures.append(shown(state.stage, 80))
        return figures

    def _scale(self) -> tuple[float, str] | None:
        """What the top of the sparkline stands for, and how the card says it: the dashboard's
        shared scale, or the card's own (`z`)."""
        values = self.state.rss_history.values
        if not values:
            return None
        own = self.shared_top is None
        top = max(values) if own else self.shared_top or max(values)
        return top, f" 0-{fmt_mib(top)} MiB {'own' if own else 'shared'}"

    def _sparkline(self, cells: int, rows: int, scale: tuple[float, str] | None) -> Text:
        """RSS over the run as bars from 0, `rows` high, its range said after the bottom row."""
        state = self.state
        history = state.rss_history
        if scale is None or state.t_start is None:
            return Text("waiting…" if not self.ascii else "waiting...")
        top, label = scale
        end = max(state.t_last or state.t_start, state.t_start + 1e-3)
        columns = resample_max(history.times, history.values, state.t_start, end, cells)
        text = Text(no_wrap=True)
        style = self.get_component_rich_style("runcard--spark")
        lines = sparkline_rows(columns, 0, top or 1, max(rows, 1), self.ascii)
        for i, line in enumerate(lines):
            text.append(line, style)
            if i < len(lines) - 1:
                text.append(" " * len(label) + "\n")
        text.append(label, self.get_component_rich_style("runcard--label"))
        return text
