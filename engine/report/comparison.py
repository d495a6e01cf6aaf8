"""The comparison of a bench's runs, one row per run, defined once: the table printed at the end
of `memtop bench` and the dashboard's live table use these columns, cells and "best" marks. No
Rich here: cells are plain strings (the printers style them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..units import fmt, mib

# (header, key in a comparison row, number format, which value is best: "low", "high" or "")
COMPARISON = (
    ("Backend", "name", "", ""), ("Weights", "weights", "", ""),
    ("Load MiB", "model_loading_mb", ",.0f", "low"),
    ("Compile MiB", "compilation_mb", ",.0f", "low"),
    ("Peak MiB (kernel)", "peak_mb", ",.0f", "low"),
    ("Sampled MiB", "sampled_mb", ",.0f", "low"), ("Swap MiB", "swap_peak_mb", ",.0f", "low"),
    ("Growth MiB", "growth_mb", ",.0f", "low"), ("1st s", "latency_first_s", ".2f", "low"),
    ("2nd s", "latency_second_s", ".2f", "low"), ("Speedup", "speedup", ".1f", "high"),
    ("tok/s", "tokens_per_s", ".2f", "high"), ("samples/s", "samples_per_s", ".2f", "high"),
    ("Health", "health", "", ""),
    ("Foreign", "foreign", "", ""))
# A program's run (`memtop run`, `attach`) has none of the protocol's figures: its own columns.
PROGRAM_COLUMNS = (
    ("Program", "name", "", ""), ("Wall s", "wall_s", ",.1f", "low"),
    ("Peak MiB (kernel)", "peak_mb", ",.0f", "low"), ("Sampled MiB", "sampled_mb", ",.0f", "low"),
    ("RSS change MiB", "rss_change_mb", "+,.0f", "low"),
    ("Swap MiB", "swap_peak_mb", ",.0f", "low"), ("Stages", "stages", ",", ""),
    ("Exit", "exit", "", ""), ("Health", "health", "", ""))
TEXT_KEYS = ("name", "weights", "health", "foreign", "exit")
# Frameworks as the cards' badge names them (⚑ tf,jax): short enough never to wrap a row.
SHORT_NAMES = {"tensorflow": "tf", "torch": "torch", "jax": "jax", "openvino": "ov"}
WRAPPING_KEYS = ("health", "foreign")  # words: they may wrap; names and figures never are cut
# Where the terminal is narrow, the highest goes first: the figures people compare stay, the words
# that repeat what colours say go (engine/report/fitted_table.py).
DROP_ORDER = {"weights": 6, "sampled_mb": 3, "swap_peak_mb": 2, "growth_mb": 5, "speedup": 4,
              "health": 1, "foreign": 7, "stages": 4, "rss_change_mb": 5}


def comparison_row(name: str, weights: str | None, summary: dict[str, Any],
                   sampled_max: int | None, foreign: Sequence[str],
                   program: dict[str, Any] | None = None) -> dict[str, Any]:
    """One run's row: the summary's figures (MiB, seconds), its highest sampled RSS (bytes in);
    a program's run (`program`: program_figures) its own figures instead of the protocol's."""
    row = {**summary, "name": name, "weights": weights or "-", "sampled_mb": mib(sampled_max),
           "foreign": ",".join(SHORT_NAMES.get(f, str(f)) for f in foreign) or "-"}
    if program is not None:
        row.update(program, program=True)
    return row


def program_figures(t_start: float | None, t_end: float | None, rss_first: int | None,
                    rss_last: int | None, stages: int, returncode: int | None,
                    status: str | None) -> dict[str, Any]:
    """What a program's run reports beside its peak: wall time, RSS change from its first
    reading to its last, how many stages it marked, its exit code (while it runs: none)."""
    exit_text = "-" if returncode is None or status == "running" else \
        f"signal {-returncode}" if returncode < 0 else str(returncode)
    return {"wall_s": None if t_start is None or t_end is None else t_end - t_start,
            "rss_change_mb": None if rss_first is None or rss_last is None
            else mib(rss_last - rss_first), "stages": stages, "exit": exit_text}


def comparison_columns(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """COMPARISON less the throughput its runs do not have: samples/s only where a run has it
    (models that predict), tok/s unless every figure is samples/s. Programs' runs alone:
    PROGRAM_COLUMNS."""
    if rows and all(row.get("program") for row in rows):
        return list(PROGRAM_COLUMNS)
    samples = any(r.get("samples_per_s") is not None for r in rows)
    tokens = any(r.get("tokens_per_s") is not None for r in rows)
    return [c for c in COMPARISON if not (c[1] == "samples_per_s" and not samples)
            and not (c[1] == "tokens_per_s" and samples and not tokens)]


def comparison_cells(row: dict[str, Any], columns: Sequence[tuple[str, str, str, str]]
                     = COMPARISON) -> list[str]:
    return [fmt(row.get(key), spec) if spec else str(row.get(key) or "-")
            for _, key, spec, _ in columns]


def best_columns(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The best value of each figure among two runs or more: lowest memory and latency, highest
    speed-up and throughput. A figure only one run has is not a comparison: not marked."""
    best: dict[str, float] = {}
    for _, key, _, better in (*COMPARISON, *PROGRAM_COLUMNS[1:]):
        values = [r[key] for r in rows if isinstance(r.get(key), int | float)]
        if better and len(values) >= 2 and len(set(values)) > 1:
            best[key] = min(values) if better == "low" else max(values)
    return best
