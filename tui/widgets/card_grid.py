"""The dashboard's cards, one per run, in a scrolling grid (two columns on wide screens): cards
grow to share the screen's height (their sparklines get taller), at least MIN_CARD rows each;
with more than fit, the grid scrolls. All cards on one memory scale, or each on its own (`z`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.containers import VerticalScroll

from memtop.engine.client import RunState

from .run_card import RunCard

WIDE_COLUMNS = 150  # two columns of cards from this width
MIN_CARD = 5  # rows: border, figures, a one-row sparkline, the timeline


class CardGrid(VerticalScroll):
    def __init__(self, ascii: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ascii = ascii
        self.shared_scale = True  # every card on one memory scale; `z`: each its own
        self._cards: dict[int, RunCard] = {}
        self.card_height = 0
        self._runs: Sequence[RunState] = ()

    def sync(self, runs: Sequence[RunState]) -> bool:
        """A card per run (a new one where its state is new), each repainted; True where a
        card was added."""
        self._runs = runs
        added = False
        for index, state in enumerate(runs):
            card = self._cards.get(index)
            if card is None or card.state is not state:
                if card is not None:
                    card.remove()
                card = RunCard(state, ascii=self.ascii)
                self._cards[index] = card
                self.mount(card)
                added = True
            else:
                card.sync()
        top = self.scale_top() if self.shared_scale else None
        for card in self._cards.values():
            card.set_scale(top)
        if added:
            self.call_after_refresh(self.share_height)
        return added

    def clear_cards(self) -> None:
        self.remove_children()
        self._cards.clear()

    def scale_top(self) -> float | None:
        """The shared scale: 0 to the largest RSS any run has had so far."""
        tops = [max(r.rss_history.values) for r in self._runs if len(r.rss_history)]
        return max(tops) if tops else None

    def on_resize(self) -> None:
        self.set_class(self.app.size.width >= WIDE_COLUMNS, "-wide")
        self.call_after_refresh(self.share_height)

    def share_height(self) -> None:
        count = len(self._cards)
        if not count or not self.size.height:
            return
        per_row = 2 if self.has_class("-wide") else 1
        card_rows = -(-count // per_row)
        height = max(MIN_CARD, self.size.height // card_rows)
        if height != self.card_height:  # cards fill their grid cells (memtop.tcss)
            self.card_height = height
            self.styles.grid_rows = str(height)
