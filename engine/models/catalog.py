"""The models memtop knows by name, and what a model argument is checked for before any session
starts (cheap: no Keras import). Shared by the CLI, the TUI's form and the session."""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
from pathlib import Path

from ..errors import UserError
from .architectures import RANDOM_ARCHITECTURES, TINY

# A preset given as a handle is for keras-hub to resolve (a network or a cache); not checked here.
PRESET_SCHEMES = ("kaggle://", "hf://", "modelscope://", "file://", "gs://", "s3://")
APPLICATIONS_PREFIX = "keras.applications."
# --task: the keras_hub.models base class a preset is loaded as (auto: what the preset says).
# Most specific first: a model is of the first whose class it is an instance of.
TASKS = {"auto": "Task", "causal_lm": "CausalLM", "seq2seq_lm": "Seq2SeqLM",
         "text_to_image": "TextToImage", "text_classifier": "TextClassifier",
         "image_classifier": "ImageClassifier", "backbone": "Backbone"}

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


def is_factory(model: str) -> bool:
    """`path/to/file.py:build` or `package.module:build` (a handle's "://" is not one)."""
    where, colon, function = model.rpartition(":")
    return bool(colon and where and "://" not in model and function.isidentifier()
                and (where.endswith(".py") or all(p.isidentifier() for p in where.split("."))))


def split_factory(model: str) -> tuple[str, str]:
    where, _, function = model.rpartition(":")
    return where, function


def _check_factory(model: str) -> None:
    where, _ = split_factory(model)
    if where.endswith(".py"):
        if not os.path.isfile(where):
            raise UserError(f"model factory file not found: {where}")
    elif importlib.util.find_spec(where.split(".")[0]) is None:
        raise UserError(f"model factory module not found: {where}")


def random_names() -> list[str]:
    return [*GPT2_CONFIGS, *RANDOM_ARCHITECTURES]


def builds_randomly(model: str) -> bool:
    """Whether memtop can build `model` by name with random weights (no preset needed)."""
    return model in GPT2_CONFIGS or model in RANDOM_ARCHITECTURES


def check_model_argument(model: str, weights: str, task: str = "auto") -> None:
    """What can be checked before a session starts (cheap: no keras import)."""
    if task not in TASKS:
        raise UserError(f"--task takes one of: {', '.join(TASKS)}; not '{task}'")
    if is_factory(model):
        return _check_factory(model)
    if model.startswith(APPLICATIONS_PREFIX):
        if not model.removeprefix(APPLICATIONS_PREFIX).isidentifier():
            raise UserError(f"not a keras.applications model name: {model}")
        return None
    if model.startswith(PRESET_SCHEMES):
        if weights == "random":
            raise UserError("--weights random builds a known architecture by name, not a "
                            "handle: download the preset, then give its directory")
        return None
    if is_directory_like(model):
        if not os.path.isdir(model):
            raise UserError(f"preset directory not found: {model}")
        if not os.path.isfile(os.path.join(model, "config.json")):
            raise UserError(f"not a keras-hub preset directory (no config.json): {model}")
    elif weights == "random" and not builds_randomly(model):
        raise UserError(f"--weights random knows only: {', '.join(random_names())}")
    elif is_test_size(model) and weights == "preset":
        raise UserError(f"{model} is memtop's test size: it has random weights only")
    elif not builds_randomly(model):
        known = keras_hub_presets()
        if known is not None and model not in known:
            raise UserError(f"unknown preset '{model}': not a keras-hub preset name, a preset "
                            "directory, a handle (kaggle://, hf://), keras.applications.NAME "
                            "or file.py:function" + _nearest(model, known))
    return None


def is_test_size(model: str) -> bool:
    return model == "gpt2_tiny" or model in TINY


def _nearest(name: str, known: frozenset[str]) -> str:
    import difflib

    near = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean '{near[0]}'?" if near else ""
