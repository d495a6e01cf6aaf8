"""memtop: a terminal memory monitor for machine-learning model runs.

Importing memtop is cheap: no ML framework, no numpy, no UI. For your own programs it offers
`memtop.stage("name")` (a block) and `memtop.mark("name")` (an instant): recorded with exact
peaks when the program runs under `memtop run`, no-ops otherwise. The CLI lives in memtop.cli,
the engine in memtop.engine, the TUI in memtop.tui, the Keras callback in memtop.keras.
"""

from memtop.markers import active, iteration, mark, stage

__version__ = "0.1.0"
__all__ = ["__version__", "active", "iteration", "mark", "stage"]
