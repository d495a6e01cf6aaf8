"""The user's settings: `$XDG_CONFIG_HOME/memtop/config.toml` (beside their themes).

    [engine]
    keep_on_hangup = true   # a dropped terminal leaves the runs running (default: stops them)

Only what the command line can also say; a flag given on the line wins.
"""

from __future__ import annotations

import os
import tomllib
from typing import Any

from memtop.engine.errors import UserError

KNOWN = {"engine": {"keep_on_hangup": bool}}


def config_path() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "memtop", "config.toml")


def load_config() -> dict[str, dict[str, Any]]:
    """The settings file, checked against KNOWN; an empty one where there is none."""
    path = config_path()
    try:
        with open(path, "rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: cannot read it ({exc})") from None
    for section, values in data.items():
        known = KNOWN.get(section)
        if known is None or not isinstance(values, dict):
            raise UserError(f"{path}: unknown section [{section}] (known: {', '.join(KNOWN)})")
        for key, value in values.items():
            if key not in known:
                raise UserError(f"{path}: unknown setting {section}.{key}")
            if not isinstance(value, known[key]):
                raise UserError(f"{path}: {section}.{key} must be {known[key].__name__}")
    return data


def keep_on_hangup(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return bool(load_config().get("engine", {}).get("keep_on_hangup", False))
