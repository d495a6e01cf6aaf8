#!/usr/bin/env bash
# The real-GPU check, for a session lent a GPU machine (the device tool; CI never runs this).
# Expects wheels in .whl/ (keras, keras-hub, namex, optree, kagglehub, kagglesdk for the device's
# Python, and memtop's own: `pip wheel --no-deps -w .whl .`); writes what it finds under $OUT.
# What it checks: NVML's per-process figure for a session (are the session's PIDs the ones NVML
# reports, inside a container?), the frameworks' allocator figures beside it, and JAX's
# preallocation with and without XLA_PYTHON_CLIENT_PREALLOCATE=false.
set -u
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site \
    .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
cd /tmp  # not the checkout: its memtop/ folder would shadow the installed package
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version --format=csv
python3 - > "$OUT/nvml_pids.json" <<'PY'
# Does NVML name this process by the PID it has here? (Containers see other PIDs.)
import json, os, pynvml, torch
x = torch.empty(1024 * 1024 * 1024, dtype=torch.uint8, device="cuda")
pynvml.nvmlInit()
h = pynvml.nvmlDeviceGetHandleByIndex(0)
procs = pynvml.nvmlDeviceGetComputeRunningProcesses(h)
info = pynvml.nvmlDeviceGetMemoryInfo(h)
print(json.dumps({"my_pid": os.getpid(), "nvml": [[p.pid, p.usedGpuMemory] for p in procs],
                  "device_used": info.used, "device_total": info.total,
                  "torch_allocated": torch.cuda.memory_allocated(),
                  "torch_reserved": torch.cuda.memory_reserved()}))
PY
cat "$OUT/nvml_pids.json"
M="python3 -m memtop"
timeout 240 $M bench --backend torch,jax --model gpt2_tiny --device gpu --no-tui \
    --runs-dir "$OUT/runs" --json-summary "$OUT/bench_gpu.json"
echo "bench rc=$?"
timeout 120 $M bench --backend jax --model gpt2_tiny --device gpu --no-tui \
    --env XLA_PYTHON_CLIENT_PREALLOCATE=false --runs-dir "$OUT/runs_noprealloc" \
    --json-summary "$OUT/bench_jax_noprealloc.json"
echo "bench rc=$?"
for f in "$OUT"/runs/*.db; do $M show "$f" --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["backend"], r["status"], "gpu:", json.dumps(r.get("gpu")))
for s in r["stages"]:
    print("  ", s["name"], "rss", s["rss_mb"], "allocator", json.dumps(s.get("allocator")))'
    python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print("   NVML readings, max used / device used / total (MiB):", [
    None if v is None else round(v / 2**20) for v in db.execute(
        "SELECT max(used), max(device_used), max(device_total) FROM gpu").fetchone()],
    "rows", db.execute("SELECT count(*) FROM gpu").fetchone()[0])' "$f"
done
