"""A program that marks three stages a second apart: something to follow while it runs."""

import time

from memtop.engine.session.stagepoint import EventChannel, StageRecorder

stages = StageRecorder(EventChannel.from_env(), collect=False)
for name in ("one", "two", "three"):
    time.sleep(1.0)
    stages.boundary(name)
stages.send({"type": "done"})
