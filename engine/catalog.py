"""The models memtop knows by name, and what a model argument is checked for before any session
starts (cheap: no Keras import). Shared by the CLI, the TUI's form and the session."""

from __future__ import annotations

import os

from .errors import UserError

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


def check_model_argument(model: str, weights: str) -> None:
    """What can be checked before a session starts (cheap: no keras import)."""
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
