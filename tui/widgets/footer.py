"""The key bar: Textual's footer, packed tighter on narrow terminals so that every key fits."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

WIDE = 100  # columns from which the footer has room for padding and the palette's key


class KeyFooter(Footer):
    """At 80 columns the full footer cut its last keys ("t T▏^p palette"): below WIDE it is
    compact and leaves ctrl+p (still working, and in the help) out."""

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < WIDE
        self.compact = narrow
        self.show_command_palette = not narrow
