"""A run's numbers for people and other tools, without a TUI.

- `columns`: every table's columns and lines, defined once (no Rich: the TUI uses them too);
- `tables`: Rich tables for the terminal (`show`, `ls`, `diff`, `check`, the bench's end);
- `formats`: Markdown, CSV and JSON (docs/schemas/);
- `perfetto`: a Chrome trace / Perfetto export, and samples as CSV.
Reads run files through engine.store; never writes one.
"""
