"""The workload of the perturbation benchmark: GPT-2 base (random weights) on torch, two warm-up
generations, then R timed ones. argv: plain | seed-thread, R. With seed-thread, the seeds'
in-process monitor runs: psutil.memory_full_info() every 20 ms in a thread. Prints JSON."""

import json
import os
import sys
import threading
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
from memtop.engine.session.gpt2_random import build_random_gpt2

mode, repeats = sys.argv[1], int(sys.argv[2])
lm = build_random_gpt2("gpt2_base_en", "float32")
for prompt in ("Hello", "Test"):
    lm.generate(prompt, max_length=10)

done = False
polls = 0


def monitor() -> None:  # seed 000/001's monitor_memory()
    import psutil

    global polls
    process = psutil.Process(os.getpid())
    peak = 0
    while not done:
        peak = max(peak, process.memory_full_info().rss)
        polls += 1
        time.sleep(0.02)


if mode == "seed-thread":
    threading.Thread(target=monitor, daemon=True).start()
latencies = []
for _ in range(repeats):
    start = time.perf_counter()
    lm.generate("Test", max_length=10)
    latencies.append(time.perf_counter() - start)
done = True
print(json.dumps({"mode": mode, "latencies": latencies, "polls": polls}), flush=True)
