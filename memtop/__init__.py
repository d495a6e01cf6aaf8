"""memtop: a terminal memory monitor for machine-learning model runs.

Importing memtop is cheap: no ML framework, no numpy, no UI. The CLI lives in memtop.cli, the
engine in memtop.engine and the TUI in memtop.tui.
"""

__version__ = "0.1.0"
