"""Stage names read from a program's output (`memtop run --stages-from-output REGEX`).

An unmodified script that prints a line per stage (the seeds print `[STAGE] name: …`) gets a
stage table with exact kernel peaks: each matching line is a boundary, named by the pattern's
first group, and the engine resets the program's high-water mark from outside (LiveRun).
"""

from __future__ import annotations

import re

# The seeds' `record_stage` prints "[STAGE] {stage_name}: {rss:.2f} MB (swap: …) - {description}".
SEED_PATTERN = r"^\[STAGE\]\s+([^:\s]+)"
PATTERN_ALIASES = {"seed": SEED_PATTERN}
MAX_LINE = 64 * 1024  # a line longer than this is matched on its start only
MAX_NAME = 120


def compile_pattern(text: str) -> re.Pattern[str]:
    """The pattern for `--stages-from-output` (an alias such as `seed`, or a regex); raises
    ValueError with a one-line reason."""
    source = PATTERN_ALIASES.get(text, text)
    try:
        return re.compile(source)
    except re.error as exc:
        raise ValueError(f"--stages-from-output is not a regular expression ({exc}): "
                         f"{text!r}") from None


class OutputStages:
    """Splits each stream into lines as they come and names the lines that match."""

    def __init__(self, pattern: str) -> None:
        self.pattern = compile_pattern(pattern)
        self._partial: dict[int, bytes] = {}

    def feed(self, stream: int, data: bytes) -> list[str]:
        """The stage names that `data` completes, in order."""
        text = self._partial.get(stream, b"") + data
        *lines, rest = text.split(b"\n")
        self._partial[stream] = rest[-MAX_LINE:]
        names = []
        for line in lines:
            name = self.name_of(line[:MAX_LINE].decode("utf-8", "replace").rstrip("\r"))
            if name:
                names.append(name)
        return names

    def name_of(self, line: str) -> str | None:
        match = self.pattern.search(line)
        if match is None:
            return None
        name = next((g for g in match.groups() if g), None) or match.group(0)
        return name.strip()[:MAX_NAME] or None
