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
TEXT_KEYS = ("name", "weights", "health", "foreign")
WRAPPING_KEYS = ("health", "foreign")  # words: they may wrap; names and figures never are cut
# Where the terminal is narrow, the highest goes first: the figures people compare stay, the words
# that repeat what colours say go (engine/report/fit.py).
DROP_ORDER = {"weights": 6, "sampled_mb": 3, "swap_peak_mb": 2, "growth_mb": 5, "speedup": 4,
              "health": 1, "foreign": 7}


def comparison_row(name: str, weights: str | None, summary: dict[str, Any],
                   sampled_max: int | None, foreign: Sequence[str]) -> dict[str, Any]:
    """One run's row: the summary's figures (MiB, seconds), its highest sampled RSS (bytes in)."""
    return {**summary, "name": name, "weights": weights or "-", "sampled_mb": mib(sampled_max),
            "foreign": ", ".join(map(str, foreign)) or "-"}


def comparison_columns(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """COMPARISON less the throughput its runs do not have: samples/s only where a run has it
    (models that predict), tok/s unless every figure is samples/s."""
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
    for _, key, _, better in COMPARISON:
        values = [r[key] for r in rows if isinstance(r.get(key), int | float)]
        if better and len(values) >= 2 and len(set(values)) > 1:
            best[key] = min(values) if better == "low" else max(values)
    return best
