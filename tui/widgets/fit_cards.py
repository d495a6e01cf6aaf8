"""`memtop fit` on the dashboard: a card per backend, its trials stacked as bars of their peaks
against the budget line (tui/fit_render.py), repainted when the plan records a trial."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget

from memtop.engine.client import BackendFit, FitPlan, FitSource
from memtop.engine.text import shown
from memtop.engine.units import MIB

from ..fit_render import card_subtitle, trial_rows
from ..render import data

MAX_TRIAL_ROWS = 8  # with more sizes tried, the largest (the boundary is there)


class FitCard(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"fitcard--fits", "fitcard--over"}

    def __init__(self, fit: BackendFit, plan: FitPlan, ascii: bool = False) -> None:
        super().__init__()
        self.fit = fit
        self.plan = plan
        self.ascii = ascii

    def sync(self) -> None:
        searching = self.plan.current is self.fit
        self.border_title = data(self.fit.backend)
        self.border_subtitle = data(card_subtitle(self.fit.result(), self.plan.request.axis,
                                                  searching, self.ascii))
        self.set_class(searching, "-searching")
        self.refresh()

    def on_mount(self) -> None:
        self.sync()

    def render(self) -> Group:
        request = self.plan.request
        trials = [vars(t) for t in self.fit.trials]
        rows = trial_rows(trials, request.budget / MIB, self.content_size.width,
                          max(self.content_size.height, 1),
                          self.get_component_rich_style("fitcard--fits"),
                          self.get_component_rich_style("fitcard--over"), self.ascii)
        if not rows:
            rows = [data("waiting..." if self.ascii else "waiting…")]
        return Group(*rows)


class FitCards(Horizontal):
    """The plan's backends side by side, as tall as their most tried sizes (up to
    MAX_TRIAL_ROWS)."""

    def __init__(self, source: FitSource, ascii: bool = False) -> None:
        super().__init__(id="fit-cards")
        self.source = source
        self.plan = source.plan
        self.ascii = ascii
        self._drawn_version = -1
        self._said_done = False

    def compose(self) -> ComposeResult:
        for fit in self.plan.backends:
            yield FitCard(fit, self.plan, self.ascii)

    def sync(self) -> None:
        if self.plan.version == self._drawn_version:
            return
        self._drawn_version = self.plan.version
        tried = max((len({t.size for t in b.trials}) for b in self.plan.backends), default=0)
        self.styles.height = min(max(tried, 1), MAX_TRIAL_ROWS) + 2  # and the cards' borders
        for card in self.query(FitCard):
            card.sync()
        if self.source.fit_path and not self._said_done:
            self._said_done = True
            self.notify(shown(f"fit done: {self.source.fit_path} (q: quit and print its table)"),
                        timeout=30, markup=False)
