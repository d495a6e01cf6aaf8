"""memtop's built-in TUI themes: TOML data files read by memtop.tui.themes (no code here)."""
