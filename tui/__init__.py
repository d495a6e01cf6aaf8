"""memtop's Textual app. It reads the engine's messages and run files through memtop.engine's
public modules (the client, the store, the report columns) and never blocks its event loop:
file reads and /proc scans happen in thread workers that post messages (tui/messages.py)."""
