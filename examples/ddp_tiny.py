"""A tiny data-parallel training run for `memtop run -- torchrun --nproc_per_node=2 ...`.

CPU, gloo: every rank builds a small model, wraps it in DistributedDataParallel and trains a few
steps on random data, inside memtop stages. `--blocks 64,160` makes rank r hold an extra block
of that many MiB through the `hold` stage, so that each rank's peak there is known (the test of
per-rank peaks uses it). Without memtop the markers do nothing and the script runs as is.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
import torch.distributed as dist
from torch import nn

import memtop

MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--blocks", default="", help="MiB each rank holds in the hold stage")
    parser.add_argument("--hold-seconds", type=float, default=0.0,
                        help="how long the blocks are held (a live view sees them)")
    args = parser.parse_args()
    rank = int(os.environ.get("RANK", 0))
    dist.init_process_group("gloo")
    torch.manual_seed(rank)
    with memtop.stage("build"):
        model = nn.parallel.DistributedDataParallel(
            nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 10)))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    with memtop.stage("train"):
        for _ in range(args.steps):
            inputs, targets = torch.randn(32, 256), torch.randint(0, 10, (32,))
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(inputs), targets).backward()
            optimizer.step()
    sizes = [int(size) for size in args.blocks.split(",") if size]
    if sizes:
        with memtop.stage("hold"):
            block = bytearray(sizes[rank % len(sizes)] * MIB)  # zero-filled: every page touched
            dist.barrier()  # every rank holds its block at once
            time.sleep(args.hold_seconds)
            del block
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
