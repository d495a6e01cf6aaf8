"""`memtop fit` live, as text: a backend's trials as horizontal bars of their peaks against the
budget line, one row per size tried (smallest at the top). Pure, so tests read it as strings;
styles come from the widget (tui/widgets/fit_cards.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.style import Style
from rich.text import Text

from memtop.engine.text import shown
from memtop.engine.units import fmt

EIGHTHS = " ▏▎▍▌▋▊▉█"
PEAK_WIDTH = 7  # " 12,345"
HEADROOM = 1.25  # the scale reaches past the budget, so a bar over it shows how far over


def mark_of(trial: dict[str, Any], ascii: bool = False) -> str:
    verdict = str(trial.get("verdict", ""))
    if trial.get("fits"):
        return "ok" if ascii else "✓"
    if "(OOM)" in verdict or "out of memory" in verdict:
        return "OOM"
    if verdict.startswith("does not fit"):
        return "no" if ascii else "✗"
    return "!"


def bar(value: float, scale: float, cells: int, budget_at: int, ascii: bool = False) -> str:
    """`cells` characters: `value` of `scale` filled from the left (in eighths of a cell), the
    budget's column drawn as a line where the bar does not reach it."""
    filled = 0 if scale <= 0 else max(0, min(cells * 8, round(value / scale * cells * 8)))
    if value > 0:
        filled = max(filled, 1)  # any peak at all shows
    out = []
    for cell in range(cells):
        part = max(0, min(8, filled - cell * 8))
        glyph = ("#" if part >= 4 else "." if part else " ") if ascii else EIGHTHS[part]
        if cell == budget_at and glyph == " ":
            glyph = "|" if ascii else "│"
        out.append(glyph)
    return "".join(out)


def trial_rows(trials: Sequence[dict[str, Any]], budget_mib: float, width: int, rows: int,
               fits: Style | str = "", over: Style | str = "", ascii: bool = False) -> list[Text]:
    """At most `rows` lines of `width` cells: each size tried, smallest first, as its peak's bar
    (fits: `fits` style, else `over`), the peak in MiB where there is room, and its verdict's
    mark. With more sizes than rows, the
    largest ones (the boundary is there) and a first line saying how many smaller are left out."""
    by_size = sorted({int(t["size"]): t for t in trials
                      if isinstance(t.get("size"), int)}.items())
    if rows <= 0 or width <= 0 or not by_size:
        return []
    left_out = 0
    if len(by_size) > rows:
        left_out = len(by_size) - (rows - 1)
        by_size = by_size[left_out:]
    peaks = [t.get("peak_mib") or 0.0 for _, t in by_size]
    scale = max(budget_mib * HEADROOM, *peaks)
    size_width = max(len(f"{size:,}") for size, _ in by_size)
    cells = max(1, width - size_width - 5)  # "SIZE " + bar + " OOM"
    peak_width = PEAK_WIDTH if cells >= 17 + PEAK_WIDTH else 0  # the peak in MiB, where room
    cells -= peak_width
    budget_at = min(cells - 1, int(budget_mib / scale * cells))
    lines = []
    if left_out:
        lines.append(Text(f"… {left_out} smaller" if not ascii else f"... {left_out} smaller",
                          no_wrap=True, overflow="crop"))
    for (size, trial), peak in zip(by_size, peaks, strict=True):
        line = Text(no_wrap=True, overflow="crop")
        line.append(f"{size:>{size_width},} ")
        line.append(bar(peak, scale, cells, budget_at, ascii), fits if trial.get("fits") else over)
        if peak_width:
            line.append(f"{fmt(trial.get('peak_mib'), ',.0f'):>{peak_width}}")
        line.append(f" {shown(mark_of(trial, ascii), 3):<3}")
        lines.append(line)
    return lines


def card_subtitle(result: dict[str, Any], axis: str, searching: bool, ascii: bool = False) -> str:
    """What a backend's card says below: its answer, or that it is still looking."""
    largest = result.get("largest")
    if searching:
        trying = "trying..." if ascii else "trying…"
        return f"{trying} {'<=' if ascii else '≤'} {largest:,} so far" if largest else trying
    if result.get("stopped"):
        return f"stopped: {shown(result['stopped'], 60)}"
    return f"largest {axis} {largest:,}" if largest else "not even 1 fits"
