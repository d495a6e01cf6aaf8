"""The numbers the seeds' tables report, derived from a run's stages (see docs/metrics.md).

All inputs are bytes and seconds; outputs are MiB (the seeds' "MB" is 1024**2 bytes) and seconds.
"""

from __future__ import annotations

import bisect
from typing import Any

from ..probes.ranks import rank_key
from ..units import mib
from .groups import groups_change

# Health by peak RSS (seed 001): good < 1 GiB, acceptable 1-3, high 3-5, critical > 5.
HEALTH_LIMITS_MIB = ((1024, "good"), (3072, "acceptable"), (5120, "high"))


def health(peak_mib: float | None) -> str | None:
    if peak_mib is None:
        return None
    for limit, name in HEALTH_LIMITS_MIB:
        if peak_mib < limit:
            return name
    return "critical"


def stage_peak(stage: dict[str, Any]) -> int | None:
    """The stage's peak: the kernel's where it is per stage, else the sampled maximum."""
    if stage.get("peak_exact", True):
        return stage.get("peak")
    return stage.get("sampled_peak")


def _change(stage: dict[str, Any], previous: dict[str, Any] | None, key: str) -> float | None:
    """A block stage (memtop.stage) changes from its own start; a mark from the stage before."""
    start = stage.get(f"{key}_start")
    if start is None and previous is not None and previous.get(key) is not None:
        # A stage trimmed at its end (--trim) hands the next one what was left after the trim.
        start = previous[key] - (previous.get(f"{key}_trimmed") or 0)
    value = stage.get(key)  # RSS by kind: not in runs recorded before it was
    return None if start is None or value is None else mib(value - start)


KINDS = ("anon", "file", "shmem")


def _at_end(stage: dict[str, Any], _previous: Any, key: str) -> float | None:
    return mib(stage.get(key))


def stage_depths(stages: list[dict[str, Any]]) -> list[int]:
    """How deep each stage sits in `memtop.stage()` blocks: 0 at the top. Stages are in the order
    they ended, so the blocks around a stage come after it; a block contains what began (or, for
    a mark, happened) after its own start."""
    depths = [0] * len(stages)
    later_blocks: list[float] = []  # starts of the blocks that ended after, kept sorted
    for i in range(len(stages) - 1, -1, -1):  # O(n log n): a day of marks stays cheap
        stage = stages[i]
        depths[i] = bisect.bisect_right(later_blocks, stage.get("t_start", stage["t"]))
        if "t_start" in stage:
            bisect.insort(later_blocks, stage["t_start"])
    return depths


def tree_order(stages: list[dict[str, Any]], depths: list[int]) -> list[int]:
    """Stage indices in reading order for tables: each block before the stages inside it (by
    when they began), the rest as they ended. `depths`: stage_depths(stages)."""
    starts: list[float] = []
    previous = None
    for stage in stages:
        starts.append(stage["t_start"] if "t_start" in stage
                      else stage["t"] if previous is None else previous["t"])
        previous = stage
    return sorted(range(len(stages)), key=lambda i: (starts[i], depths[i], i))


def by_worker(stages: list[dict[str, Any]]) -> dict[str | None, list[int]]:
    """Stage indices by the rank that sent them (None: the program's own process), the
    program's first, then the ranks in name order."""
    groups: dict[str | None, list[int]] = {}
    for i, stage in enumerate(stages):
        groups.setdefault(stage.get("worker"), []).append(i)
    return dict(sorted(groups.items(), key=lambda item: (item[0] is not None,
                                                         rank_key(item[0]))))


def stage_rows(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stage: RSS and swap at its end, change from the stage before, peaks, duration, and
    depth (how many blocks it is in). Each rank's stages (a multi-process job) are their own
    sequence, named "rank 1 · NAME", so that every table and diff shows them by rank."""
    groups = by_worker(stages)
    if list(groups) == [None]:
        return _sequence_rows(stages)
    rows: list[dict[str, Any] | None] = [None] * len(stages)
    for worker, indices in groups.items():
        for i, row in zip(indices, _sequence_rows([stages[i] for i in indices]), strict=True):
            if worker is not None:
                row["name"] = f"{worker} · {row['name']}"
            rows[i] = {**row, "worker": worker}
    return [row for row in rows if row is not None]


def _sequence_rows(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    previous: dict[str, Any] | None = None
    for stage, depth in zip(stages, stage_depths(stages), strict=True):
        rows.append({
            "name": stage["name"],
            "depth": depth,
            "rss_mb": mib(stage["rss"]),
            "swap_mb": mib(stage["swap"]),
            "rss_change_mb": _change(stage, previous, "rss"),
            "swap_change_mb": _change(stage, previous, "swap"),
            # RSS by kind (status: RssAnon, RssFile, RssShmem) at the end, and its change.
            **{f"{kind}_{what}": figure(stage, previous, kind)
               for kind in KINDS for what, figure in (("mb", _at_end), ("change_mb", _change))},
            "groups_change_mb": groups_change(stage, previous),
            # glibc's heap at the stage's end: in use, and held free (not live data); --trim:
            # the RSS malloc_trim(0) gave back after it.
            "heap_in_use_mb": mib(stage.get("heap_in_use")),
            "heap_free_mb": mib(stage.get("heap_free")),
            "trimmed_mb": mib(stage.get("rss_trimmed")),
            "peak_mb": mib(stage_peak(stage)),
            "peak_exact": bool(stage.get("peak_exact", True)),
            "kernel_peak_mb": mib(stage.get("peak")),
            "sampled_peak_mb": mib(stage.get("sampled_peak")),
            "duration_s": stage["t"] - stage["t_start"] if "t_start" in stage
            else None if previous is None else stage["t"] - previous["t"],
        })
        previous = stage
    return rows


def table_order(stages: list[dict[str, Any]]) -> list[int]:
    """Stage indices as tables show them: each block before the stages inside it; the
    program's own stages first, then each rank's."""
    out = []
    for indices in by_worker(stages).values():
        part = [stages[i] for i in indices]
        out.extend(indices[j] for j in tree_order(part, stage_depths(part)))
    return out


def table_rows(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`stage_rows` in `table_order`."""
    rows = stage_rows(stages)
    return [rows[i] for i in table_order(stages)]


def summarize(stages: list[dict[str, Any]], swap_peak: int | None = None,
              sampled_max: int | None = None) -> dict[str, Any]:
    """The seeds' summary; a figure whose stages are missing (a failed run) is None.

    The peak is the highest stage peak. A run whose stages do not reach a `final` boundary (a
    command with its own markers, an attached process, a failed run) also had memory after its
    last stage: there the highest sampled RSS counts too. Ranks' stages (each one process's
    peak) are left to the table by rank: the sampled RSS of the whole tree stands for them."""
    stages = [s for s in stages if "worker" not in s]
    by_name = {s["name"]: s for s in stages}

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
