"""Pure text renderers for the TUI: sparklines and stage timelines, testable as strings.

Styles are passed in (resolved from the theme by the widgets), so nothing here knows Textual.
`ascii=True` draws with plain ASCII for terminals and fonts without block glyphs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from rich.style import Style
from rich.text import Text

from memtop.engine.probes.ranks import rank_key
from memtop.engine.text import shown
from memtop.engine.units import MIB, fmt_mib

BLOCKS = " ▁▂▃▄▅▆▇█"
ASCII_LEVELS = " .,-:=+*#"


def data(value: object, limit: int = 300, lines: bool = False) -> Text:
    """A string from a run file or a program, for a widget: shown as text (engine/text.py),
    never parsed as markup. Every data string the TUI shows goes through here."""
    return Text(shown(value, limit, lines=lines))


def sparkline(columns: Sequence[float | None], low: float, high: float, ascii: bool = False) -> str:
    """One row of `sparkline_rows`."""
    return sparkline_rows(columns, low, high, 1, ascii)[0]


def sparkline_rows(columns: Sequence[float | None], low: float, high: float, rows: int,
                   ascii: bool = False) -> list[str]:
    """`rows` lines (top first), one character per column: a bar from the bottom whose height is
    the value between low and high, in eighths of a row (block glyphs; ASCII: nine levels too).

    Heights are proportional (a value half of `high` fills half the rows), and any value at all
    shows at least one eighth. Columns are already maxima (engine/client/history.py), so a spike
    shows at full height. A column with no value is blank.
    """
    levels = ASCII_LEVELS if ascii else BLOCKS
    eighths = rows * 8
    span = high - low
    grid = [[" "] * len(columns) for _ in range(rows)]
    for x, value in enumerate(columns):
        if value is None:
            continue
        height = eighths if span <= 0 else round((value - low) / span * eighths)
        height = max(1, min(eighths, height))
        for row in range(rows):  # row 0 is the bottom
            grid[rows - 1 - row][x] = levels[max(0, min(8, height - 8 * row))]
    return ["".join(line) for line in grid]


def stage_label(name: str, change_mib: float | None) -> str:
    short = shown(name, 60).replace("_inference", "").replace("_", " ")
    if change_mib is None:
        return short
    return f"{short} {change_mib:+,.0f}"


def timeline_bands(stages: Sequence[dict[str, Any]], start: float, now: float,
                   width: int, current: str = "…") -> list[tuple[str, int]]:
    """(label, width) per stage in stage order, widths proportional to duration, summing to
    `width`; the stage in progress (named `current`) runs from the last boundary to `now`.
    Pass the top-level stages (see `nested_band_row` for those inside blocks). With more stages
    than cells (a day of marks), the latest ones: the cost stays that of the width."""
    if width <= 0 or not stages:
        return [(current, width)] if width > 0 and now > start else []
    previous = None
    if len(stages) >= width:
        previous = stages[-width]
        start, stages = previous["t"], stages[-width + 1:]
    bounds = [start] + [s["t"] for s in stages]
    durations = [max(b - a, 0.0) for a, b in itertools.pairwise(bounds)]
    labels = []
    for stage in stages:
        change = None if previous is None else (stage["rss"] - previous["rss"]) / MIB
        labels.append(stage_label(stage["name"], change))
        previous = stage
    if now > bounds[-1]:
        durations.append(now - bounds[-1])
        labels.append(current)
    total = sum(durations) or 1.0
    # Every band at least one cell, the rest shared by duration (largest remainders first).
    n = len(durations)
    if width < n:
        return [(labels[i], 1) for i in range(width)]
    spare = width - n
    exact = [d / total * spare for d in durations]
    cells = [1 + int(e) for e in exact]
    order = sorted(range(n), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in order[: width - sum(cells)]:
        cells[i] += 1
    return list(zip(labels, cells, strict=True))


def nested_band_row(inner: Sequence[dict[str, Any]], start: float, end: float,
                    width: int) -> list[tuple[str, int]]:
    """The blocks one block deep (`inner`), placed by time on the same axis as the top-level
    bands: (label, width) runs where "" is a gap. Empty when no stage is nested."""
    if width <= 0 or not inner or end <= start:
        return []

    def cell(t: float) -> int:
        return max(0, min(width, round((t - start) / (end - start) * width)))

    row: list[tuple[str, int]] = []
    at = 0
    for stage in inner:
        left = max(at, cell(stage["t_start"]))
        right = max(left + 1, cell(stage["t"]))
        if left >= width:
            break
        if left > at:
            row.append(("", left - at))
        row.append((stage_label(stage["name"], None), min(right, width) - left))
        at = min(right, width)
    if at < width:
        row.append(("", width - at))
    return row


def band_label(label: str, room: int) -> str:
    """A band's label in `room` cells: whole; else its name without its RSS change (a number is
    shown whole or not at all); else the name cut with `…`; in under 3 cells, nothing (a letter
    or two names nothing: the band's colour and the stage table say which stage it is)."""
    if len(label) <= room:
        return label
    name, _, change = label.rpartition(" ")
    if name and change[:1] in "+-" and len(name) <= room:
        return name
    name = name if name and change[:1] in "+-" else label
    if room < 3:
        return ""
    cut = name[:room - 1]
    return (cut[:cut.rfind(" ")] if " " in cut.strip() else cut).rstrip() + "…"  # at a word


def timeline(bands: Sequence[tuple[str, int]], styles: Sequence[Style | str],
             ascii: bool = False) -> Text:
    """Bands as one line: each its label fitted to its width (`band_label`), on alternating
    styles."""
    text = Text(no_wrap=True, overflow="crop")
    for i, (label, cells) in enumerate(bands):
        if not label:  # a gap (nested rows)
            text.append(" " * cells)
            continue
        fitted = band_label(label, cells - 1)
        if ascii:
            fitted = fitted.replace("…", ".")  # ASCII is ASCII all through
            body = ("|" + fitted)[:cells].ljust(cells, "-" if i % 2 else "=")
        else:
            body = (" " + fitted)[:cells].ljust(cells)
        text.append(body, style=styles[i % len(styles)] if styles else "")
    return text


def with_markers(line: Text, times: Sequence[float], start: float, end: float,
                 ascii: bool = False) -> Text:
    """A timeline with a marker (`m`: an instant, never a stage) drawn at each time's cell over
    [start, end] (▼; ASCII: v), its band's style kept."""
    width = line.cell_len
    if width <= 0 or end <= start or not times:
        return line
    glyph = "v" if ascii else "▼"
    cells = list(line.plain)
    for t in times:
        if start <= t <= end:
            cells[min(width - 1, int((t - start) / (end - start) * width))] = glyph
    out = Text("".join(cells), no_wrap=True, overflow="crop")
    out.spans = list(line.spans)  # one character for one: every band keeps its style
    return out


def process_lines(processes: Sequence[dict[str, Any]], rows: int) -> list[str]:
    """A line per process of a tree of several (ranks first, in order; then the largest), at
    most `rows`: the last says how many more there are. RSS where live, else the peak only."""
    if len(processes) < 2 or rows < 1:
        return []
    ranked = sorted(processes, key=lambda p: (rank_key(str(p.get("name", ""))),
                                              -(p.get("rss") or p["peak"])))
    shown_here = ranked if len(ranked) <= rows else ranked[:rows - 1]
    width = max(len(shown(p.get("name", "?"), 30)) for p in shown_here)
    lines = []
    for p in shown_here:
        now = f"{fmt_mib(p['rss'])} MiB  " if p.get("rss") is not None else ""
        lines.append(f"{shown(p.get('name', '?'), 30):<{width}}  {now}peak "
                     f"{fmt_mib(p['peak'])} MiB")
    if len(shown_here) < len(ranked):
        lines.append(f"+{len(ranked) - len(shown_here)} more processes")
    return lines
