"""Themes as data: TOML files in memtop's `themes/` and in the user's
$XDG_CONFIG_HOME/memtop/themes/, turned into Textual themes. A broken file is reported, not fatal.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "memtop-dark"
_COLOURS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
            "background", "surface", "panel", "boost")
_ALLOWED = {"name", "dark", "variables", *_COLOURS}
# Variables memtop's stylesheet uses; a theme may leave any out (these defaults then apply).
THEME_VARIABLES = {"health-good": "#5FBF77", "health-acceptable": "#E5B94E",
                   "health-high": "#EE8A3C", "health-critical": "#FF4F5E",
                   "band-a": "#2B3A4C", "band-b": "#3A4B60", "spark": "#4FA3E0"}


@dataclass
class ThemeLoad:
    themes: list[Theme] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per broken file


def user_themes_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "memtop" / "themes"


def _check_colour(where: str, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: '{key}' must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{where}: '{key}' is not a colour: {value!r}") from None
    return value


def theme_from_text(text: str, where: str) -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{where}: not valid TOML ({exc})") from None
    unknown = set(data) - _ALLOWED
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: a theme needs a name")
    if "primary" not in data:
        raise ValueError(f"{where}: a theme needs a primary colour")
    colours = {k: _check_colour(where, k, data[k]) for k in _COLOURS if k in data}
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{where}: [variables] must be a table")
    checked = {k: _check_colour(where, k, v) for k, v in variables.items()}
    return Theme(name=name, dark=bool(data.get("dark", True)), variables=checked, **colours)


def _theme_files() -> list[tuple[str, str]]:
    """(where, text) for the built-in themes, then the user's (which may replace them)."""
    found: list[tuple[str, str]] = []
    builtin = resources.files("memtop.themes")
    for entry in sorted(builtin.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            found.append((f"themes/{entry.name}", entry.read_text(encoding="utf-8")))
    user = user_themes_dir()
    if user.is_dir():
        for path in sorted(user.glob("*.toml")):
            try:
                found.append((str(path), path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                found.append((str(path), f"\0{exc}"))
    return found


def load_themes() -> ThemeLoad:
    load = ThemeLoad()
    for where, text in _theme_files():
        if text.startswith("\0"):
            load.errors.append(f"{where}: cannot read ({text[1:]})")
            continue
        try:
            load.themes.append(theme_from_text(text, where))
        except ValueError as exc:
            load.errors.append(str(exc))
    return load
