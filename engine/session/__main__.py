"""`python -m memtop.engine.session`: how the engine starts a backend session."""

import sys

from .entry import main

sys.exit(main())
