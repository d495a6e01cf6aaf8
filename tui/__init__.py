"""The Textual app (see issue 3)."""
