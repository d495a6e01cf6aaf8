"""Builds memtop's tiny GPT-2 and saves it as a keras-hub preset directory (argv[1]).

The real `from_preset` path is then tested on it, offline.
"""

import sys

from memtop.engine.session.gpt2_random import build_random_gpt2

build_random_gpt2("gpt2_tiny", "float32").save_to_preset(sys.argv[1])
