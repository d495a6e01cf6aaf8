"""The columns and lines of memtop's tables, defined once for every output: the Rich tables,
Markdown, CSV, and the TUI's detail and diff screens. No Rich here: cells are plain strings.

Sizes are MiB (1,048,576 bytes) and labelled so; the seeds call the same unit "MB".
"""

from __future__ import annotations

from typing import Any

from ..units import fmt

# (header, key in analysis.summary.stage_rows, number format; "+" shows the sign)
STAGE_COLUMNS = (("Stage", "name", ""), ("RAM (MiB)", "rss_mb", ",.1f"),
                 ("Swap (MiB)", "swap_mb", ",.1f"), ("RAM change", "rss_change_mb", "+,.1f"),
                 ("Swap change", "swap_change_mb", "+,.1f"),
                 ("Peak kernel", "kernel_peak_mb", ",.1f"),
                 ("Peak sampled", "sampled_peak_mb", ",.1f"), ("Duration (s)", "duration_s", ".2f"))
# (header, key in analysis.diff.diff_stages, number format)
DIFF_COLUMNS = (("Stage", "name", ""), ("A RAM (MiB)", "a_rss_mb", ",.1f"),
                ("B RAM (MiB)", "b_rss_mb", ",.1f"), ("Δ RAM", "d_rss_mb", "+,.1f"),
                ("A peak", "a_peak_mb", ",.1f"), ("B peak", "b_peak_mb", ",.1f"),
                ("Δ peak", "d_peak_mb", "+,.1f"), ("A s", "a_duration_s", ".2f"),
                ("B s", "b_duration_s", ".2f"), ("Δ s", "d_duration_s", "+.2f"))
# (key in the summary, label, number format)
SUMMARY_LINES = (
    ("model_loading_mb", "Model loading (MiB)", ",.1f"),
    ("compilation_mb", "Compilation (MiB)", ",.1f"),
    ("peak_mb", "Peak RAM (MiB)", ",.1f"),
    ("peak_above_initial_mb", "Peak above initial (MiB)", ",.1f"),
    ("swap_peak_mb", "Swap peak (MiB)", ",.1f"),
    ("growth_mb", "Total growth (MiB)", ",.1f"),
    ("latency_first_s", "1st inference (s)", ".2f"),
    ("latency_second_s", "2nd inference (s)", ".2f"),
    ("speedup", "Speedup (x)", ".1f"),
    ("tokens_per_s", "Throughput (tokens/s)", ".2f"),
)
# The summary lines that mean something for any program (the rest need the protocol's stages).
OTHER_PROGRAM_LINES = ("peak_mb", "swap_peak_mb")
# (header, key in analysis.stats.describe)
STAT_KEYS = (("Mean", "mean_mb"), ("Max", "max_mb"), ("Min", "min_mb"), ("Std", "std_mb"),
             ("Median", "median_mb"))


def shared_pages_note(processes: int) -> str | None:
    """Said wherever a tree's RSS is shown: forked children share pages (the parent's memory,
    libraries), and RSS counts a shared page in every process that maps it. PSS would count it
    once, but reading it (smaps_rollup) costs about 25 ms a process (docs/metrics.md)."""
    if processes <= 1:
        return None
    return (f"RSS sums {processes} processes; pages they share are counted in each, so the "
            "tree's real use can be lower")


def cell(row: dict[str, Any], key: str, spec: str) -> str:
    """One table cell: `row[key]` in `spec` ("-" for none)."""
    value = row.get(key)
    if key == "name" and row.get("depth"):  # inside memtop.stage() blocks
        return "  " * (min(row["depth"], 8) - 1) + "└ " + str(value)
    if key == "kernel_peak_mb" and row.get("peak_exact") is False:
        return fmt(value, spec) + " (not per stage)"
    if not spec:
        return "-" if value is None else str(value)
    signed = spec.startswith("+")
    return fmt(value, spec.lstrip("+"), signed=signed)


def summary_spec(key: str) -> str:
    """The number format of a summary figure by its key: seconds and rates with two decimals."""
    return ".2f" if key.endswith(("_s", "speedup", "per_s")) else ",.1f"


def summary_cells(row: dict[str, Any]) -> tuple[str, str, str]:
    """A row of analysis.diff.diff_summary as (A, B, B - A) cells."""
    spec = summary_spec(row["key"])
    numeric = row["d"] is not None or isinstance(row["a"], int | float)
    a = fmt(row["a"], spec) if numeric else str(row["a"])
    b = fmt(row["b"], spec) if numeric else str(row["b"])
    d = fmt(row["d"], spec, signed=True) if row["d"] is not None else ""
    return a, b, d
