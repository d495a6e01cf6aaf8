"""The columns and lines of memtop's tables, defined once for every output: the Rich tables,
Markdown, CSV, and the TUI's detail and diff screens. No Rich here: cells are plain strings.

Sizes are MiB (1,048,576 bytes) and labelled so; the seeds call the same unit "MB".
"""

from __future__ import annotations

from typing import Any

from ..text import shown
from ..units import fmt

# (header, key in analysis.summary.stage_rows, number format; "+" shows the sign)
STAGE_COLUMNS = (("Stage", "name", ""), ("RAM (MiB)", "rss_mb", ",.1f"),
                 ("Swap (MiB)", "swap_mb", ",.1f"), ("RAM change", "rss_change_mb", "+,.1f"),
                 ("Anon change", "anon_change_mb", "+,.1f"),
                 ("File change", "file_change_mb", "+,.1f"),
                 ("Swap change", "swap_change_mb", "+,.1f"),
                 ("Peak kernel", "kernel_peak_mb", ",.1f"),
                 ("Peak sampled", "sampled_peak_mb", ",.1f"), ("Duration (s)", "duration_s", ".2f"))
# The detail screen's order: a stage's exact peak beside its name, since 80 columns show only
# the first six (show, exports and CSV keep STAGE_COLUMNS' order: scripts read them).
DETAIL_STAGE_COLUMNS = tuple(sorted(STAGE_COLUMNS, key=lambda column: (
    "name", "kernel_peak_mb", "rss_mb", "rss_change_mb", "anon_change_mb", "file_change_mb",
    "sampled_peak_mb", "swap_mb", "swap_change_mb", "duration_s").index(column[1])))
# What a comparison of runs shows by stage, a table each: (title, key in
# analysis.diff.compare_stages, number format). Columns: Stage, then each run (A, B, ...) and,
# after every run but the baseline, its difference from the baseline (Δ).
COMPARE_METRICS = (("Peak (MiB)", "peak_mb", ",.1f"),
                   ("RAM at the stage's end (MiB)", "rss_mb", ",.1f"),
                   ("Anonymous change (MiB)", "anon_change_mb", ",.1f"),
                   ("File-backed change (MiB)", "file_change_mb", ",.1f"),
                   ("Duration (s)", "duration_s", ".2f"))
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
    ("samples_per_s", "Throughput (samples/s)", ".2f"),
)
# Lines left out where a run has no such figure (a GPT-2 run has no samples/s).
WHERE_KNOWN_LINES = ("samples_per_s",)


def summary_lines(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """SUMMARY_LINES that a run's summary has something to say for."""
    return [line for line in SUMMARY_LINES
            if not (line[0] in WHERE_KNOWN_LINES and summary.get(line[0]) is None)]
# Every summary figure's words, where a table lists them all (comparisons).
SUMMARY_LABELS = {**{key: label for key, label, _ in SUMMARY_LINES},
                  "tokens_first": "Tokens, 1st inference", "tokens_second": "Tokens, 2nd inference",
                  "health": "Health"}
# The summary lines that mean something for any program (the rest need the protocol's stages).
OTHER_PROGRAM_LINES = ("peak_mb", "swap_peak_mb")
# What a program's run adds (report/comparison.program_figures): (key, label, number format).
PROGRAM_LINES = (("wall_s", "Wall time (s)", ",.1f"),
                 ("rss_change_mb", "RSS change (MiB)", "+,.1f"), ("stages", "Stages", ","),
                 ("exit", "Exit code", ""))


def program_lines(program: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, cell) of each PROGRAM_LINES figure of a program's run."""
    return [(label, fmt(program.get(key), spec) if spec else str(program.get(key, "-")))
            for key, label, spec in PROGRAM_LINES]
# (header, key in analysis.stats.describe)
STAT_KEYS = (("Mean", "mean_mb"), ("Max", "max_mb"), ("Min", "min_mb"), ("Std", "std_mb"),
             ("Median", "median_mb"))


def task_text(meta: dict[str, Any]) -> str:
    """"text_classifier; inputs token_ids 1x128, padding_mask 1x128" (a run file's words)."""
    inputs = meta.get("inputs") or {}
    shapes = ", ".join(f"{name} {'x'.join(map(str, shape))}" for name, shape in inputs.items()
                       if isinstance(shape, list))
    return f"{meta.get('task')}; inputs {shapes}" if shapes else str(meta.get("task"))


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


def stage_name(row: dict[str, Any]) -> str:
    """A compared stage's name (analysis.diff.compare_stages), indented by depth; a folded row
    says each run's count where they differ ("epoch ×3 (×3, ×2)")."""
    counts = [c for c in row.get("count") or [] if c is not None]
    name = cell(row, "name", "")
    if len(set(counts)) > 1:
        name += " (" + ", ".join(f"×{c}" for c in row["count"] if c is not None) + ")"
    return name


def summary_spec(key: str) -> str:
    """The number format of a summary figure by its key: seconds and rates with two decimals."""
    return ".2f" if key.endswith(("_s", "speedup", "per_s")) else ",.1f"


def letter(index: int) -> str:
    """Runs in a comparison are A, B, C, ... (then A2, B2, ... past Z)."""
    return chr(ord("A") + index % 26) + (str(index // 26 + 1) if index >= 26 else "")


def compare_name(backend: object, model: object) -> str:
    """A run's name in a comparison's column headers: its backend, or the program's name."""
    return shown(backend or model or "?", 30)


def delta_sign(cell: str) -> int:
    """+1 where a Δ cell shows more than the baseline, -1 less, 0 none (a zero as rounded)."""
    if cell[:1] not in "+-" or not cell.strip("+-0.,"):
        return 0
    return 1 if cell.startswith("+") else -1


def compare_headers(names: list[str], baseline: int) -> list[str]:
    """Each run's column ("A tensorflow"), and after each but the baseline its Δ column."""
    headers = []
    for i, name in enumerate(names):
        headers.append(f"{letter(i)} {name}")
        if i != baseline:
            headers.append(f"Δ {letter(i)}")
    return headers


def compare_cells(values: list[Any], deltas: list[Any], spec: str,
                  baseline: int) -> list[str]:
    """One row's cells in `compare_headers` order: values, and Δ against the baseline (signed)."""
    numeric = bool(spec) and any(isinstance(v, int | float) for v in values)
    cells = []
    for i, value in enumerate(values):
        cells.append(fmt(value, spec) if numeric else "-" if value is None else str(value))
        if i != baseline:
            cells.append(fmt(deltas[i], spec, signed=True) if deltas[i] is not None else "")
    return cells
