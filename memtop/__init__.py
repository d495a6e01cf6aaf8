"""memtop: a terminal memory monitor for machine-learning model runs.

Importing memtop is cheap: no ML framework, no numpy, no UI. For your own programs it offers
`memtop.stage("name")` (a block) and `memtop.mark("name")` (an instant): recorded with exact
peaks when the program runs under `memtop run`, no-ops otherwise. The CLI lives in memtop.cli,
the engine in memtop.engine, the TUI in memtop.tui, the Keras callback in memtop.keras, the
pytest plugin in memtop.pytest_plugin, the notebook magic in memtop.ipython (`%load_ext memtop`).
"""

from typing import Any

from memtop.markers import active, iteration, mark, stage

__version__ = "0.1.0"
__all__ = ["__version__", "active", "iteration", "mark", "stage"]


def load_ipython_extension(shell: Any) -> None:
    """`%load_ext memtop`: the `%%memtop` cell magic (memtop/ipython.py, imported only here)."""
    from memtop.ipython import load

    load(shell)
