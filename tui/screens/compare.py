"""Runs side by side, aligned by stage, against a baseline run (`b` picks the next one): peak,
RAM and duration by stage, the summary, and every run on one stage-aligned chart. Two runs are
the case of N (`memtop diff A B`); the dashboard's `d` compares all of its runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual_plotext import PlotextPlot

from memtop.engine.analysis.diff import (
    compare_settings,
    compare_stages,
    compare_summary,
    setting_text,
    stage_axis,
)
from memtop.engine.analysis.stage_tree import top_level
from memtop.engine.client import RunState
from memtop.engine.report.columns import (
    COMPARE_METRICS,
    SUMMARY_LABELS,
    compare_cells,
    compare_headers,
    compare_name,
    delta_sign,
    letter,
    stage_name,
    summary_spec,
)
from memtop.engine.report.run_names import run_labels
from memtop.engine.text import shown
from memtop.engine.units import MIB

from ..render import data
from ..widgets.footer import KeyFooter

TABLES = ("peak_mb", "rss_mb")  # by stage on screen (duration: in the text formats)
FOLLOW_EVERY_S = 1.0


def run_label(state: RunState) -> str:
    """Its title, id and start (report/run_names.run_labels: as `memtop diff` names it)."""
    return shown(run_labels([{"kind": state.kind, "backend": state.backend,
                              "model": state.model, **state.meta}],
                            [state.run_id or state.spec_id or "?"])[0])


def chart_series(states: Sequence[RunState]) -> tuple[list[tuple[str, list[float], list[float]]],
                                                      list[float], list[str]]:
    """What the chart draws: per run (legend label, x on the stage axis, RSS MiB), and the ticks
    (every stage boundary, over the whole axis) with their stage names. Stage k of every run
    spans [k-1, k], and what a run did after its last stage one more unit."""
    series = []
    for i, state in enumerate(states):
        history = state.rss_history
        if len(history):
            x = stage_axis(history.times, top_level(state.stages),
                           state.t_start or history.times[0])
            series.append((f"{letter(i)} {state.backend or state.model}", x,
                           [v / MIB for v in history.values]))
    most = max((top_level(s.stages) for s in states), key=len)
    names = [shown(s["name"], 20) for s in most]
    end = max([len(names), *(max(x) for _, x, _ in series if x)])
    ticks = [float(k) for k in range(0, int(end) + 1)]
    labels = ["start", *names]  # a boundary's tick is named by the stage that ends there
    labels += ["end"] * (len(ticks) - len(labels))  # ... and the last, by what followed
    return series, ticks, labels[:len(ticks)]


class CompareScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "next_baseline", "Baseline"),
        Binding("u", "toggle_fold", "Unfold"),
        # The tables hold ↓, PageDown and End for their rows: the chart has a key of its own.
        Binding("c", "chart", "Chart"),
        Binding("escape", "back", "Back"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"compare--up", "compare--down"}
    DEFAULT_CSS = """
    CompareScreen > .compare--up { color: $error; }
    CompareScreen > .compare--down { color: $success; }
    CompareScreen PlotextPlot { height: 16; }
    """

    def __init__(self, states: Sequence[RunState], baseline: int = 0) -> None:
        super().__init__()
        self.states = list(states)
        self.baseline = baseline
        self.folded = True  # repeated stages: a row per path, each run's worst (`u`)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="meta")
            for title, key, _ in COMPARE_METRICS:
                if key in TABLES:
                    yield Static(title, classes="section-title")
                    yield DataTable(id=f"compare-{key}", zebra_stripes=True)
            yield Static("Summary", classes="section-title")
            yield DataTable(id="compare-summary", zebra_stripes=True)
            yield PlotextPlot(id="compare-chart")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"memtop · {len(self.states)} runs by stage (red: more than the baseline)"
        self._fill()
        self._draw_chart()
        self.query_one(f"#compare-{TABLES[0]}", DataTable).focus()  # ←/→ scroll at 80 columns
        self._drawn = self._versions()
        self.set_interval(FOLLOW_EVERY_S, self._follow)

    def _versions(self) -> tuple[int, ...]:
        return tuple(state.version for state in self.states)

    def _follow(self) -> None:
        """Opened mid-run, the tables and the chart follow the live runs (at most once a
        second): a chart drawn once would stop its axis where the runs were."""
        versions = self._versions()
        if versions != self._drawn:
            self._drawn = versions
            self._fill()
            self._draw_chart()

    def action_chart(self) -> None:
        """To the stage-aligned chart; again, back to the top."""
        scroll = self.query_one(VerticalScroll)
        chart = self.query_one(PlotextPlot)
        in_view = scroll.scroll_y + scroll.size.height >= chart.virtual_region.bottom
        if in_view and scroll.scroll_y == 0:  # a tall terminal: all of it is in view already
            self.notify("the chart is in view, under the tables", timeout=2)
        elif in_view:
            scroll.scroll_home(animate=False)
        else:
            scroll.scroll_to_widget(chart, top=True, animate=False)

    def action_back(self) -> None:
        """Back to where it was opened from; opened alone (`memtop diff`), quit."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()

    def action_toggle_fold(self) -> None:
        self.folded = not self.folded
        self._fill()
        self.notify("repeated stages folded: each run's worst occurrence" if self.folded
                    else "every occurrence of repeated stages", timeout=2)

    def action_next_baseline(self) -> None:
        self.baseline = (self.baseline + 1) % len(self.states)
        self._fill()
        self.notify(f"baseline: {letter(self.baseline)}", timeout=2)

    def _delta(self, text: str) -> Text:
        """A Δ cell, red where the run has more than the baseline and green where less."""
        sign = delta_sign(text)
        if not sign:
            return Text(shown(text), justify="right")
        style = self.get_component_rich_style("compare--up" if sign > 0 else "compare--down")
        return Text(shown(text), style=style, justify="right")

    def _cells(self, cells: list[str], headers: list[str]) -> list[Text]:
        return [self._delta(c) if h.startswith("Δ") else Text(shown(c), justify="right")
                for c, h in zip(cells, headers, strict=True)]

    def _fill(self) -> None:
        base = self.baseline
        lines = [f"{letter(i)}: {run_label(s)}" + ("  (baseline)" if i == base else "")
                 for i, s in enumerate(self.states)]
        for row in compare_settings([s.meta for s in self.states]):
            values = "  ".join(f"{letter(i)} {shown(setting_text(v), 30)}"
                               for i, v in enumerate(row["values"]))
            lines.append(f"   {shown(row['key'])}: {values}")
        self.query_one("#meta", Static).update(Text("\n".join(lines)))
        headers = compare_headers([compare_name(s.backend, s.model) for s in self.states], base)
        rows = compare_stages([s.stages for s in self.states], base, fold=self.folded)
        for _, key, spec in COMPARE_METRICS:
            if key not in TABLES:
                continue
            table = self.query_one(f"#compare-{key}", DataTable)
            table.clear(columns=True)
            table.add_columns("Stage", *headers)
            for row in rows:
                table.add_row(data(stage_name(row)), *self._cells(
                    compare_cells(row[key], row[f"d_{key}"], spec, base), headers))
        summary = self.query_one("#compare-summary", DataTable)
        summary.clear(columns=True)
        summary.add_columns("", *headers)
        for row in compare_summary([s.summary for s in self.states], base):  # known figures
            summary.add_row(data(SUMMARY_LABELS.get(row["key"], row["key"])), *self._cells(
                compare_cells(row["values"], row["deltas"], summary_spec(row["key"]), base),
                headers))

    def _draw_chart(self) -> None:
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        series, ticks, names = chart_series(self.states)
        for label, x, y in series:
            plt.plot(x, y, label=label, marker="braille")
        plt.xticks(ticks, [n.split("_")[0] for n in names])
        plt.xlim(ticks[0], ticks[-1])
        plt.ylim(0, None)
        plt.title("RSS (MiB) by stage: each stage the same width for every run")
        self.chart_end = ticks[-1]  # where its axis ends (tests: it follows the runs)
        plot.refresh()
