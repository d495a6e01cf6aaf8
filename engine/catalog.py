"""The models memtop knows by name, and what a model argument is checked for before any session
starts (cheap: no Keras import). Shared by the CLI, the TUI's form and the session."""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
from pathlib import Path

from .errors import UserError

# A preset given as a handle is for keras-hub to resolve (a network or a cache); not checked here.
PRESET_SCHEMES = ("kaggle://", "hf://", "modelscope://", "file://", "gs://", "s3://")

# keras-hub's GPT-2 preset configurations (vocabulary 50257, context 1024).
GPT2_CONFIGS: dict[str, dict[str, int]] = {
    "gpt2_base_en": {"num_layers": 12, "num_heads": 12, "hidden_dim": 768,
                     "intermediate_dim": 3072},
    "gpt2_medium_en": {"num_layers": 24, "num_heads": 16, "hidden_dim": 1024,
                       "intermediate_dim": 4096},
    "gpt2_large_en": {"num_layers": 36, "num_heads": 20, "hidden_dim": 1280,
                      "intermediate_dim": 5120},
    "gpt2_extra_large_en": {"num_layers": 48, "num_heads": 25, "hidden_dim": 1600,
                            "intermediate_dim": 6400},
    # memtop's own test size: the same classes, 2 layers, hidden 64. Random weights only.
    "gpt2_tiny": {"num_layers": 2, "num_heads": 2, "hidden_dim": 64, "intermediate_dim": 128},
}


def is_directory_like(model: str) -> bool:
    return os.sep in model or model.startswith(".") or os.path.isdir(model)


@functools.cache
def keras_hub_presets() -> frozenset[str] | None:
    """Every preset name the installed keras-hub defines, read from its `*_presets.py` files
    without importing it (importing keras takes seconds; this, about 0.1 s). None when keras-hub
    is not installed here, or its layout is not what this reads."""
    spec = importlib.util.find_spec("keras_hub")
    if spec is None or not spec.submodule_search_locations:
        return None
    names: set[str] = set()
    models = Path(spec.submodule_search_locations[0]) / "src" / "models"
    for path in models.glob("*/*_presets.py"):
        try:
            tree = ast.parse(path.read_text())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                names.update(key.value for key in node.value.keys
                             if isinstance(key, ast.Constant) and isinstance(key.value, str))
    return frozenset(names) or None


def check_model_argument(model: str, weights: str) -> None:
    """What can be checked before a session starts (cheap: no keras import)."""
    if model.startswith(PRESET_SCHEMES):
        if weights == "random":
            raise UserError("--weights random builds a GPT-2 preset by name, not a handle")
        return
    if is_directory_like(model):
        if weights == "random":
            raise UserError("--weights random builds a GPT-2 preset by name, not a directory")
        if not os.path.isdir(model):
            raise UserError(f"preset directory not found: {model}")
        if not os.path.isfile(os.path.join(model, "config.json")):
            raise UserError(f"not a keras-hub preset directory (no config.json): {model}")
    elif weights == "random" and model not in GPT2_CONFIGS:
        raise UserError(f"--weights random knows only: {', '.join(GPT2_CONFIGS)}")
    elif model == "gpt2_tiny" and weights == "preset":
        raise UserError("gpt2_tiny is memtop's test size: it has random weights only")
    elif model not in GPT2_CONFIGS:
        known = keras_hub_presets()
        if known is not None and model not in known:
            raise UserError(f"unknown preset '{model}': not a keras-hub preset name, a preset "
                            "directory or a handle (kaggle://, hf://)" + _nearest(model, known))


def _nearest(name: str, known: frozenset[str]) -> str:
    import difflib

    near = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean '{near[0]}'?" if near else ""
