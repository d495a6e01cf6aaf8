"""Every string from a run file or a measured program is data: `shown` is the one function that
makes such a string safe to put before a person, on every output path (CLI and TUI).

A run file comes from someone else (copied from a GPU server) and a program prints what it
likes, so their strings may hold terminal escape sequences (an OSC 52 writes the clipboard),
other control characters, bidirectional overrides, or text that looks like Rich/Textual markup.
`shown` replaces every control and bidi character with a visible escape (`\\x1b`), folds the
string to one line and cuts it to `limit` characters (the whole stays in the file). It does not
escape markup: views pass the result as plain text (rich `Text`, Textual `Content`), never as
markup; where a string must be embedded in markup, `markup.escape(shown(...))`.
"""

from __future__ import annotations

import re

SHOWN_LIMIT = 300  # characters shown of one string; more would not fit a screen anyway
# C0 controls (tab and newline are folded to spaces first), DEL, C1 controls, the line and
# paragraph separators, and every Unicode format character (category Cf: bidi embeddings,
# overrides and isolates, zero-width characters, the soft hyphen, tag characters, interlinear
# annotation), which reorder, hide or smuggle text. tests/test_text.py checks this list against
# the running Python's Unicode database.
_FORMAT = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
           "\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
           "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
           "\U000e0020-\U000e007f")
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_FORMAT}]")
_FOLD = str.maketrans({"\n": " ", "\r": " ", "\t": " "})
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def shown(value: object, limit: int = SHOWN_LIMIT, lines: bool = False) -> str:
    """`value` as text that cannot act on a terminal: one line (unless `lines`), at most
    `limit` characters (an ellipsis marks the cut), control characters made visible."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:max(limit - 1, 0)] + "…"
    if not lines:
        text = text.translate(_FOLD)
    else:
        text = text.replace("\r\n", "\n").replace("\t", " ")
        return "\n".join(_UNSAFE.sub(_visible, line) for line in text.split("\n"))
    return _UNSAFE.sub(_visible, text)


def safe_filename(name: object, default: str = "run") -> str:
    """A file name made from data (a run id): no folder, no leading dot, only [A-Za-z0-9._-]."""
    cleaned = _SAFE_NAME.sub("_", str(name))[:120].lstrip(".")
    return cleaned or default
