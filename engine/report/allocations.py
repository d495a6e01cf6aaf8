"""`memtop show --allocations`: each stage's top allocation sites (analysis/allocations.py) with
what memray tracked at the stage's moment beside the kernel's peak: the gap is memory memray
cannot see."""

from __future__ import annotations

import os
from typing import Any

from ..analysis.stage_rows import stage_peak
from ..analysis.stage_tree import stage_keys
from ..errors import UserError
from ..spec import CAPTURE_SUFFIX
from ..store import SUFFIX, Run, read_sites
from ..units import MIB, fmt
from .fitted_table import Column, FittedTable
from .tables import add_row, plain


def capture_of(run: Run) -> str:
    """The capture beside the run file. Its name comes from the run file's own path, never from
    what the file says (a run file may be crafted)."""
    if not run.meta.get("allocations"):
        raise UserError(f"{run.run_id} was not recorded with --allocations")
    base = run.path[:-len(SUFFIX)] if run.path.endswith(SUFFIX) else run.path
    return os.path.abspath(base + CAPTURE_SUFFIX)


def allocations_json(run: Run) -> list[dict[str, Any]]:
    peaks = {key: stage_peak(s) for s, key in zip(run.stages, stage_keys(run.stages),
                                                  strict=True)}
    return [{**found, "kernel_peak_mb": None if peaks.get(found["stage"]) is None
             else peaks[found["stage"]] / MIB}
            for found in read_sites(capture_of(run), run.stages)]


def allocations_table(run: Run) -> FittedTable:
    table = FittedTable([Column("Stage"), Column("MiB", "right"), Column("Site", whole=False),
                         Column("Native", whole=False, drop=1)],
                        title=plain(f"{run.run_id}: top allocation sites at each stage's "
                                    "largest tracked heap (memray)"))
    for found in allocations_json(run):
        gap = f"{found['allocated_in_stage_mb']:,.1f} allocated here, live at the peak · " \
              f"memray's heap {found['tracked_mb']:,.1f} of the kernel's " \
              f"{fmt(found['kernel_peak_mb'], ',.1f')}"
        add_row(table, found["stage"], "", gap, "")
        for site in found["sites"]:
            where = f"{site['function']} ({os.path.basename(site['file'])}:{site['line']})"
            add_row(table, "", f"{site['mib']:,.1f}", where, site["native"] or "-")
    return table
