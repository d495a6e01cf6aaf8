"""The numbers the seeds' tables report, derived from a run's stages (see docs/metrics.md).

All inputs are bytes and seconds; outputs are MiB (the seeds' "MB" is 1024**2 bytes) and seconds.
"""

from __future__ import annotations

from typing import Any

from ..units import mib
from .stage_rows import stage_peak
from .stage_tree import top_level

# Health by peak RSS (seed 001): good < 1 GiB, acceptable 1-3, high 3-5, critical > 5.
HEALTH_LIMITS_MIB = ((1024, "good"), (3072, "acceptable"), (5120, "high"))


def health(peak_mib: float | None) -> str | None:
    if peak_mib is None:
        return None
    for limit, name in HEALTH_LIMITS_MIB:
        if peak_mib < limit:
            return name
    return "critical"


def summarize(stages: list[dict[str, Any]], swap_peak: int | None = None,
              sampled_max: int | None = None) -> dict[str, Any]:
    """The seeds' summary; a figure whose stages are missing (a failed run) is None.

    The peak is the highest stage peak. A run whose stages do not reach a `final` boundary (a
    command with its own markers, an attached process, a failed run) also had memory after its
    last stage: there the highest sampled RSS counts too. Ranks' stages (each one process's
    peak) are left to the table by rank: the sampled RSS of the whole tree stands for them."""
    stages = [s for s in stages if "worker" not in s]
    # The protocol's stages are marks at the top; a program's blocks and what is inside them
    # name no figure of the seeds' table (a `final` inside an epoch is not the run's).
    by_name: dict[str, dict[str, Any]] = {}
    for stage in top_level(stages):
        by_name.setdefault(stage["name"], stage)

    def rss(name: str) -> int | None:
        return by_name[name]["rss"] if name in by_name else None

    def delta(later: str, earlier: str) -> float | None:
        a, b = rss(later), rss(earlier)
        return None if a is None or b is None else mib(a - b)

    peaks = [p for p in (stage_peak(s) for s in stages) if p is not None]
    if "final" not in by_name and sampled_max:
        peaks.append(sampled_max)
    peak = max(peaks) if peaks else None
    initial = rss("initial")
    swaps = [s["swap"] for s in stages] + ([swap_peak] if swap_peak is not None else [])
    training = "first_step" in by_name
    if training:  # --mode training: the first step stands for compilation, the rest for runs
        first, second = by_name["first_step"], by_name.get("training", {})
        l1 = first.get("latency")
        l2 = second["latency"] / second["steps"] if second.get("steps") else None
        compilation = delta("first_step", "before_training")
        tokens = None
        samples = second.get("batch_size")  # sequences or images a step, per step's seconds
    else:
        first = by_name.get("first_inference", {})
        second = by_name.get("second_inference", {})
        l1, l2 = first.get("latency"), second.get("latency")
        compilation = delta("first_inference", "before_inference")
        tokens = second.get("tokens_generated")
        samples = second.get("samples")
    peak_mib = mib(peak)
    return {
        "model_loading_mb": delta("model_loaded", "initial"),
        "compilation_mb": compilation,
        "peak_mb": peak_mib,
        "peak_above_initial_mb": None if peak is None or initial is None
        else mib(peak - initial),
        "swap_peak_mb": mib(max(swaps)) if swaps else None,
        "growth_mb": delta("final", "initial"),
        "latency_first_s": l1,
        "latency_second_s": l2,
        "speedup": l1 / l2 if l1 and l2 else None,
        "tokens_per_s": tokens / l2 if tokens is not None and l2 else None,
        "samples_per_s": samples / l2 if samples is not None and l2 else None,
        "tokens_first": first.get("tokens_generated"),
        "tokens_second": tokens,
        "health": health(peak_mib),
    }


def current_summary(stages: list[dict[str, Any]], swap_peak: int | None,
                    sampled_max: int | None, stored: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    """The one way every view gets a run's summary: the one stored when the run finished, else
    derived now from what is known so far. Live views, replays and run files all pass the same
    three things (stages, the highest swap, the highest sampled RSS), so an unfinished run reads
    the same on every screen."""
    if stored:
        return stored
    return summarize(stages, swap_peak=swap_peak, sampled_max=sampled_max)
