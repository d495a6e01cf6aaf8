"""Does a run measured on a cluster node read as the same run measured here? (issue #18)

One Ray node on this machine (Ray's own test cluster), and the same bench run alternately here
and through `--cluster`, each a fresh session: the kernel's peaks per stage side by side, the
command's wall time (what going through Ray costs: joining the cluster, the task, the engine
on the node, copying the file back).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from common import emit, median, memtop

from memtop.engine.store import list_run_files, read_run
from memtop.engine.units import MIB


def one(runs: str, backend: str, model: str, cluster: str | None) -> dict:
    args = ["bench", "--backend", backend, "--model", model, "--no-tui", "--runs-dir", runs]
    start = time.perf_counter()
    result = memtop(*args, *(["--cluster", cluster] if cluster else []))
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    path = list_run_files(runs)[0]
    run = read_run(path)
    peaks = {s["name"]: s["peak"] / MIB for s in run.stages}
    where = (run.meta.get("cluster") or {}).get("ray_node_id", "here")[:8]
    run.close()
    os.remove(path)
    if (where == "here") != (cluster is None):
        raise RuntimeError(f"the run ran {where}, not where it was asked")
    return {"wall_s": wall, "peaks": peaks}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--model", default="gpt2_tiny")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from ray.cluster_utils import Cluster

    node_runs = tempfile.mkdtemp()
    os.environ["MEMTOP_NODE_RUNS_DIR"] = node_runs
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1,
                                                            "include_dashboard": False})
    try:
        results: dict[str, list[dict]] = {"here": [], "cluster": []}
        with tempfile.TemporaryDirectory() as runs:
            for _ in range(args.repeat):  # alternating: the machine's drift hits both alike
                results["here"].append(one(runs, args.backend, args.model, None))
                results["cluster"].append(one(runs, args.backend, args.model, cluster.address))
    finally:
        cluster.shutdown()
    for where, found in results.items():
        stages = found[0]["peaks"]
        emit({"where": where, "backend": args.backend, "model": args.model,
              "wall_s_median": round(median([r["wall_s"] for r in found]), 2),
              "peak_mib_median": {name: round(median([r["peaks"][name] for r in found]), 1)
                                  for name in stages}})


if __name__ == "__main__":
    main()
