"""Widgets of memtop's own; they draw with the pure renderers in tui/render.py."""
