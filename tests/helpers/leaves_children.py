"""Leaves a background child in its process group and a daemon (double fork, setsid)."""

import os
import subprocess
import time

subprocess.Popen(["sleep", "30"])  # a background child in the program's group
if os.fork() == 0:  # a daemon: double fork and setsid
    os.setsid()
    if os.fork() == 0:
        time.sleep(30)
    os._exit(0)
time.sleep(0.5)
