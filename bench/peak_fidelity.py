"""Peak fidelity: spikes of 1 GiB held about 2 ms. memtop's stage peaks (the kernel's) against the
truth, and how many spikes polling catches at 20 ms and at 5 ms (memtop's own sampler at those
intervals; "caught" = a sample saw at least 95% of the spike)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile

from common import GIB, HERE, MIB, emit, median, memtop

from memtop.engine.procfs import RSS_COUNTER_SLACK
from memtop.engine.store import list_run_files, read_run


def one_run(count: int, size: int, interval_ms: float) -> dict:
    with tempfile.TemporaryDirectory() as runs:
        result = memtop("run", "--no-tui", "--interval-ms", str(interval_ms), "--runs-dir", runs,
                        "--", sys.executable, str(HERE / "spike_child.py"), str(count), str(size))
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        run = read_run(list_run_files(runs)[0])
    spikes = [s for s in run.stages if s["name"].startswith("spike_")]
    timing = json.loads(run.meta["log_tail"].strip().splitlines()[-1])
    exact = caught = 0
    for stage in spikes:
        top = stage["rss_start"] + size  # the truth: what was resident at the spike's top
        if stage["peak"] >= top - RSS_COUNTER_SLACK:
            exact += 1
        if (stage.get("sampled_peak") or 0) >= stage["rss_start"] + 0.95 * size:
            caught += 1
    return {"spikes": len(spikes), "exact": exact, "caught": caught,
            "populate_ms_median": round(median(timing["populate_s"]) * 1000, 1),
            "hold_ms_median": round(median(timing["hold_s"]) * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count = 20 if args.quick else 100
    at_5 = one_run(count, GIB, 5.0)
    at_20 = one_run(count, GIB, 20.0)
    emit({"bench": "peak_fidelity", "spike_mib": GIB // MIB, "spikes": count,
          "memtop_exact": f"{at_5['exact']}/{at_5['spikes']}",
          "memtop_exact_at_20ms": f"{at_20['exact']}/{at_20['spikes']}",
          "caught_by_5ms_polling": f"{at_5['caught']}/{at_5['spikes']}",
          "caught_by_20ms_polling": f"{at_20['caught']}/{at_20['spikes']}",
          "populate_ms_median": at_5["populate_ms_median"],
          "hold_ms_median": at_5["hold_ms_median"]})


if __name__ == "__main__":
    main()
