"""Two runs side by side, aligned by stage: A, B and the delta, coloured by sign."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual_plotext import PlotextPlot

from memtop.engine.analysis.diff import diff_settings, diff_stages, diff_summary, stage_axis
from memtop.engine.client import RunState
from memtop.engine.report.columns import DIFF_COLUMNS, SUMMARY_LINES, cell, summary_cells
from memtop.engine.text import shown
from memtop.engine.units import MIB

from ..render import data
from ..widgets.footer import KeyFooter

LABELS = {key: label for key, label, _ in SUMMARY_LINES}  # the summary's words, not its keys


def run_label(state: RunState) -> str:
    label = state.meta.get("label") or ""
    weights = state.weights or state.meta.get("weights") or "?"
    return shown(f"{state.backend} · {state.model} · {weights}" + (f" · {label}" if label else ""))


class DiffScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"diff--up", "diff--down"}
    DEFAULT_CSS = """
    DiffScreen > .diff--up { color: $error; }
    DiffScreen > .diff--down { color: $success; }
    """

    def __init__(self, a: RunState, b: RunState) -> None:
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(self._header(), id="meta")
            yield DataTable(id="diff-stages", zebra_stripes=True)
            yield Static("Summary", classes="section-title")
            yield DataTable(id="diff-summary", zebra_stripes=True)
            yield PlotextPlot(id="diff-chart")
        yield KeyFooter()

    def action_back(self) -> None:
        """Back to where the diff was opened from; opened alone (`memtop diff`), quit."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()

    def _header(self) -> Text:
        lines = [f"A: {run_label(self.a)}", f"B: {run_label(self.b)}"]
        for row in diff_settings(self.a.meta, self.b.meta):
            lines.append(f"   {shown(row['key'])}: A {shown(row['a'])}  B {shown(row['b'])}")
        return Text("\n".join(lines))

    def _delta(self, text: str, value: object) -> Text:
        """A B - A cell, red where B uses more and green where less."""
        if not isinstance(value, int | float) or not value:
            return Text(shown(text), justify="right")
        style = self.get_component_rich_style("diff--up" if value > 0 else "diff--down")
        return Text(shown(text), style=style, justify="right")

    def on_mount(self) -> None:
        self.title = "memtop · diff (B - A; red: B uses more)"
        stages = self.query_one("#diff-stages", DataTable)
        stages.add_columns(*(header for header, _, _ in DIFF_COLUMNS))
        for row in diff_stages(self.a.stages, self.b.stages):
            stages.add_row(*(self._delta(cell(row, key, spec), row.get(key))
                             if key.startswith("d_") else data(cell(row, key, spec))
                             for _, key, spec in DIFF_COLUMNS))
        summary = self.query_one("#diff-summary", DataTable)
        summary.add_columns("", "A", "B", "Δ")
        for row in diff_summary(self.a.summary, self.b.summary):
            a, b, d = summary_cells(row)
            summary.add_row(data(LABELS.get(row["key"], row["key"])), data(a), data(b),
                            self._delta(d, row["d"]))
        self._draw_chart()
        stages.focus()  # ←/→ move along its columns, and scroll them into view at 80 columns

    def _draw_chart(self) -> None:
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        for name, state in (("A", self.a), ("B", self.b)):
            history = state.rss_history
            if len(history):
                x = stage_axis(history.times, state.stages, state.t_start or history.times[0])
                plt.plot(x, [v / MIB for v in history.values], label=f"{name} RSS MiB",
                         marker="braille")
        names = [shown(s["name"], 20).split("_")[0] for s in self.a.stages]
        plt.xticks(list(range(1, len(names) + 1)))
        plt.title("RSS by stage: " + " ".join(f"{i}={n}" for i, n in enumerate(names, 1)))
        plot.refresh()
