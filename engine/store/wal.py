"""How much of a run file's write-ahead log SQLite will use, and how much it will silently drop.

A run file that was never finalized (its engine killed, its disk full) keeps its last commits in
`<file>-wal`. SQLite reads the log's frames up to the first one whose checksum fails and ignores
the rest without a word, so a damaged log would lose readings silently. This reads the log as
SQLite does (the format: sqlite.org/fileformat.html, "The Write-Ahead Log") and counts the
frames of the current log generation that come after the first bad one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_MAGIC = {0x377F0682: "<", 0x377F0683: ">"}  # checksums in little- or big-endian words
_HEADER = 32
_FRAME_HEADER = 24
_MASK = 0xFFFFFFFF


@dataclass(frozen=True)
class WalFrames:
    usable: int  # frames SQLite will read (up to the last good commit)
    lost: int  # frames of the current log's commits from the first one whose checksum fails


def _checksum(data: bytes, order: str, s0: int, s1: int) -> tuple[int, int]:
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & _MASK
        s1 = (s1 + words[i + 1] + s0) & _MASK
    return s0, s1


def read_wal(path: str) -> WalFrames | None:
    """The frames of `path`'s log; None when there is no log or no valid header."""
    try:
        with open(path + "-wal", "rb") as f:
            data = f.read()
    except OSError:
        return None
    if len(data) < _HEADER:
        return None
    magic, _version, page_size, _seq, salt1, salt2, c0, c1 = struct.unpack(">8I", data[:32])
    order = _MAGIC.get(magic)
    if order is None or page_size < 512 or _checksum(data[:24], order, 0, 0) != (c0, c1):
        return None
    frame_size = _FRAME_HEADER + page_size
    s0, s1 = c0, c1
    usable = good = 0
    damaged = False
    offset = _HEADER
    while offset + frame_size <= len(data):
        header = data[offset:offset + _FRAME_HEADER]
        _page, commit, f_salt1, f_salt2, f0, f1 = struct.unpack(">6I", header)
        if (f_salt1, f_salt2) != (salt1, salt2):
            break  # the end of this generation (older frames may follow, unused by design)
        s0, s1 = _checksum(header[:8] + data[offset + _FRAME_HEADER:offset + frame_size],
                           order, s0, s1)
        if (s0, s1) != (f0, f1):
            damaged = True
            break
        good += 1
        if commit:
            usable = good
        offset += frame_size
    # Past the damage, frames up to the last one that ends a transaction held commits; those
    # after it are of a transaction that never committed (a write the disk refused, rolled
    # back): nothing lost there.
    lost = seen = 0
    while damaged and offset + frame_size <= len(data):  # this generation past the damage
        _page, commit, f_salt1, f_salt2 = struct.unpack(">4I", data[offset:offset + 16])
        if (f_salt1, f_salt2) == (salt1, salt2):
            seen += 1
            lost = seen if commit else lost
        offset += frame_size
    return WalFrames(usable, lost)
