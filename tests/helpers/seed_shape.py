"""A script in the seeds' shape, with no memtop in it: `record_stage` polls its own RSS and
prints `[STAGE] name: … MB (swap: … MB) - description` between allocations. Stage
"spike_freed" holds a 256 MiB spike that is freed before its line; stage "kept" keeps 128 MiB."""

import gc
import time

MIB = 1024 * 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / MIB


def record_stage(name: str, description: str) -> None:
    gc.collect()
    print(f"[STAGE] {name}: {rss_mb():.2f} MB (swap: 0.00 MB) - {description}", flush=True)
    time.sleep(0.3)  # as the seeds do between stages; the engine reads the line meanwhile


def touch(size: int) -> bytearray:
    block = bytearray(size)
    block[::4096] = b"x" * len(block[::4096])
    return block


record_stage("0_INITIAL", "before anything")
spike = touch(256 * MIB)
del spike
print("an ordinary line that is not a stage")
record_stage("1_SPIKE_FREED", "a spike, freed")
kept = touch(128 * MIB)
record_stage("2_KEPT", "128 MiB kept")
