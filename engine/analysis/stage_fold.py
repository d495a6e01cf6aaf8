"""Repeated stages folded into one row per name (docs/metrics.md, "Folding"): a training loop of
1,000 epochs reads as `epoch ×1000`, not as 1,000 rows.

Rows fold by `path` (`fit/epoch/evaluate`: every epoch's validation together). A folded row
holds the figures of its worst occurrence (the highest peak), so that every column of it is one
real stage's, and says how many there were and the spread of their peaks and RSS changes.
"""

from __future__ import annotations

import statistics
from typing import Any

from .stage_tree import rank_prefixed


def _spread(values: list[float | None]) -> tuple[float | None, float | None, float | None]:
    known = [v for v in values if v is not None]
    if not known:
        return None, None, None
    return min(known), statistics.median(known), max(known)


def fold_rows(rows: list[dict[str, Any]],
              unfolded: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
    """`rows` (analysis.stage_rows.table_rows: in the tree's order) with each path that occurs
    more than once as one row, where its first occurrence was, and every stage inside a folded
    one folded too. A folded row is its worst occurrence's row with `name` "epoch ×3", `key`
    its group, `count`, `peak_min_mb`/`peak_median_mb`/`peak_max_mb`, the same for
    `rss_change_*`, and `worst` (the worst occurrence's key). Every row gets `count` and
    `group` (what it folds by: its path, or under an unfolded one that occurrence's key).

    `unfolded`: groups shown one row per occurrence (the detail screen's `enter`); what is
    inside each of those folds within that occurrence (`fit/epoch#2/batch ×3`)."""
    by_key = {row["key"]: row for row in rows}
    groups: dict[str, str] = {}  # key -> group
    for row in rows:  # tree order: a parent before what is inside it
        parent = by_key.get(row["parent"]) if row.get("parent") else None
        if parent is None or parent["key"] not in groups:
            groups[row["key"]] = row["path"]
            continue
        anchor = parent["key"] if groups[parent["key"]] in unfolded else groups[parent["key"]]
        groups[row["key"]] = f"{anchor}/{row['leaf']}"
    members: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        members.setdefault(groups[row["key"]], []).append(row)
    folded_groups: set[str] = set()
    for row in rows:
        group = groups[row["key"]]
        parent_group = groups.get(row.get("parent") or "")
        if group not in unfolded and (len(members[group]) > 1 or parent_group in folded_groups):
            folded_groups.add(group)
    out = []
    done: set[str] = set()
    for row in rows:
        group = groups[row["key"]]
        if group not in folded_groups:
            out.append({**row, "count": 1, "group": group})
        elif group not in done:
            done.add(group)
            out.append({**folded(members[group]), "key": group, "group": group})
    return out


def folded(group: list[dict[str, Any]]) -> dict[str, Any]:
    """One row for the occurrences of one path (see fold_rows)."""
    worst = max(group, key=lambda r: -1.0 if r.get("peak_mb") is None else r["peak_mb"])
    peaks = _spread([r.get("peak_mb") for r in group])
    changes = _spread([r.get("rss_change_mb") for r in group])
    return {**worst, "name": rank_prefixed(worst.get("worker"), f"{worst['leaf']} ×{len(group)}"),
            "key": worst["path"],
            "count": len(group), "worst": worst["key"],
            "peak_min_mb": peaks[0], "peak_median_mb": peaks[1], "peak_max_mb": peaks[2],
            "rss_change_min_mb": changes[0], "rss_change_median_mb": changes[1],
            "rss_change_max_mb": changes[2]}


def repeated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The folded rows of `fold_rows(rows)` alone: what a table of repeated stages lists."""
    return [row for row in fold_rows(rows) if row["count"] > 1]
