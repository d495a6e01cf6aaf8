"""Encoding of messages between the engine and its client (CLI or TUI): msgpack, never pickle."""

from __future__ import annotations

from typing import Any

import msgpack


def encode(message: dict[str, Any]) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def decode(data: bytes) -> dict[str, Any]:
    message = msgpack.unpackb(data, raw=False, strict_map_key=False)
    if not isinstance(message, dict) or "type" not in message:
        raise ValueError("not a memtop message")
    return message
