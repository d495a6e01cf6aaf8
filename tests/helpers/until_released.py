"""A program that marks a stage, then waits until the file named by its argument exists (at most
a minute), then marks another: a run that goes on exactly as long as a test wants."""

import os
import sys
import time

from memtop.engine.session.stagepoint import EventChannel, StageRecorder

stages = StageRecorder(EventChannel.from_env(), collect=False)
stages.boundary("waiting")
print("waiting for", sys.argv[1], flush=True)
deadline = time.monotonic() + 60
while not os.path.exists(sys.argv[1]) and time.monotonic() < deadline:
    time.sleep(0.05)
stages.boundary("released")
stages.send({"type": "done"})
