"""Every room of the engine is named where a reader and the import contracts look for it (#28): a
new sub-package left out of the layers contract would be checked by nothing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import memtop.engine

ENGINE = Path(memtop.engine.__file__).parent
PYPROJECT = ENGINE.parent / "pyproject.toml"


def rooms() -> set[str]:
    return {p.parent.name for p in ENGINE.glob("*/__init__.py")}


def test_every_room_is_in_the_layers_contract():
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    [layers] = [c for c in contracts if c["type"] == "layers" and c["containers"] ==
                ["memtop.engine"]]
    named = {room.strip() for layer in layers["layers"] for room in layer.split("|")}
    assert rooms() - named == set(), "add the room to pyproject.toml's layers contract"
    assert named - rooms() == set(), "the layers contract names a room that is gone"


def test_every_room_is_in_the_engine_s_room_list():
    listed = memtop.engine.__doc__ or ""
    assert {room for room in rooms() if f"`{room}/`" not in listed} == set()

