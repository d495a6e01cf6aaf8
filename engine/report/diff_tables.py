"""`memtop diff` as tables: runs side by side, one table per figure (peak, RAM, duration) and the
summary, each run's value and its Δ from the baseline; then the settings that differ."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from ..analysis.diff import compare_settings, compare_stages, compare_summary, setting_text
from ..analysis.stage_tree import has_repeats
from ..store.reader import Run
from .columns import (
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
from .fitted_table import Column, FittedTable
from .run_names import run_labels
from .tables import add_row, plain


def diff_tables(runs: Sequence[Run], baseline: int = 0,
                unfold: bool = False) -> list[FittedTable]:
    """The runs side by side, one table per figure (peak, RAM, duration) and the summary: each
    run's value, and after each but the baseline its Δ (red: more than the baseline). Stages
    are matched by their place in the tree; repeated ones fold into a row per path (each run's
    worst occurrence) unless `unfold`."""
    headers = compare_headers([compare_name(r.meta.get("backend"), r.meta.get("model"))
                               for r in runs], baseline)
    columns = [Column("Stage"), *(Column(h, "right", drop=1 if h.startswith("Δ") else 0)
                                  for h in headers)]
    tables = []
    rows = compare_stages([run.stages for run in runs], baseline, fold=not unfold)
    for heading, key, spec in COMPARE_METRICS:
        table = FittedTable(columns, title=Text(heading))
        for row in rows:
            add_row(table, stage_name(row), *_signed(compare_cells(row[key], row[f"d_{key}"], spec,
                                                                baseline), headers))
        tables.append(table)
    summary = FittedTable([Column("Summary"), *columns[1:]])
    for row in compare_summary([run.summary() for run in runs], baseline):
        add_row(summary, SUMMARY_LABELS.get(row["key"], row["key"]),
                *_signed(compare_cells(row["values"], row["deltas"], summary_spec(row["key"]),
                                       baseline), headers))
    tables.append(summary)
    settings = compare_settings([run.meta for run in runs])
    if settings:  # what differs besides the figures: where each ran, its settings
        table = FittedTable([Column("Setting"), *(Column(letter(i)) for i in range(len(runs)))],
                            title="Settings that differ")
        for row in settings:
            add_row(table, row["key"], *map(setting_text, row["values"]))
        tables.append(table)
    return tables


def diff_heading(runs: Sequence[Run], baseline: int = 0, unfold: bool = False) -> Text:
    """What `diff_tables` compare, printed above them at the terminal's width: each run by its
    title, id and start (two runs of one script told apart), and how repeats are shown."""
    labels = run_labels([run.meta for run in runs], [run.run_id for run in runs])
    lines = [plain(f"{letter(i)}: {label}") for i, label in enumerate(labels)]
    lines.append(Text(f"(Δ = each run - {letter(baseline)})"))
    if not unfold and any(has_repeats(run.stages) for run in runs):
        lines.append(Text("(repeated stages folded: each run's worst occurrence; --unfold "
                          "lists every one)"))
    return Text("\n").join(lines)


def _signed(cells: list[str], headers: list[str]) -> list[Text]:
    """Δ cells red where a run has more than the baseline, green where less."""
    colours = {1: "red", -1: "green", 0: ""}
    return [plain(text, colours[delta_sign(text)] if header.startswith("Δ") else "")
            for text, header in zip(cells, headers, strict=True)]
