"""Loading the model a session measures, whatever its source (models/catalog.py checks the argument
first): GPT-2 or a family by name with random weights where no preset can be had, a keras-hub
preset of any task (name, handle or local directory), a keras.applications model, or the user's
factory. Runs inside the session only.

Random weights measure what the real model costs in memory (memory goes by parameter count and
shapes, not values); the run records `weights: random` and the screen says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from ..models.catalog import (
    APPLICATIONS_PREFIX,
    GPT2_CONFIGS,
    builds_randomly,
    check_model_argument,
    is_directory_like,
    is_factory,
    is_test_size,
)
from .gpt2_random import build_random_gpt2
from .model_sources import build_application, build_architecture, build_from_factory, load_preset


@dataclass
class LoadedModel:
    model: Any
    weights: str  # "preset", "random" or "own" (a factory's)
    note: str  # why, shown beside the run
    parameters: int
    make_batch: Callable[[int], Any] | None = None  # a factory's inputs, if it gave them


def _is_network_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        name = type(seen).__name__
        if isinstance(seen, ConnectionError | TimeoutError) or "Connection" in name \
                or "Timeout" in name or "NameResolution" in name or "URLError" in name:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _random(model: str, dtype: str, note: str) -> LoadedModel:
    built = build_random_gpt2(model, dtype) if model in GPT2_CONFIGS \
        else build_architecture(model, dtype)
    return LoadedModel(built, "random", note, built.count_params())


def _application(model: str, weights: str) -> LoadedModel:
    if weights == "random":
        built = build_application(model, "random")
        return LoadedModel(built, "random", "random weights (asked for)", built.count_params())
    try:
        built = build_application(model, weights)
    except Exception as exc:
        if not _is_network_error(exc):
            raise
        if weights == "preset":
            raise UserError(f"{model}'s weights could not be downloaded (no network?); "
                            "use --weights random") from None
        built = build_application(model, "random")
        note = "random weights: the ImageNet weights could not be downloaded (no network)"
        return LoadedModel(built, "random", note, built.count_params())
    return LoadedModel(built, "preset", "keras.applications, ImageNet weights",
                       built.count_params())


def load_model(model: str, weights: str, dtype: str, task: str = "auto") -> LoadedModel:
    check_model_argument(model, weights, task)
    if is_factory(model):
        built, make_batch = build_from_factory(model)
        return LoadedModel(built, "own", "the factory's own weights", built.count_params(),
                           make_batch)
    if model.startswith(APPLICATIONS_PREFIX):
        return _application(model, weights)
    if is_test_size(model) or (weights == "random" and not is_directory_like(model)):
        return _random(model, dtype, "random weights (asked for)")
    try:
        built = load_preset(model, task, dtype, load_weights=weights != "random")
    except Exception as exc:
        if _is_network_error(exc):
            if weights == "auto" and builds_randomly(model):
                return _random(model, dtype,
                               "random weights: the preset could not be downloaded (no network)")
            raise UserError(f"preset '{model}' could not be downloaded (no network?); "
                            "use a local preset directory or --weights random") from None
        if "Unknown preset identifier" in str(exc):
            raise UserError(f"unknown preset '{model}': not a keras-hub preset name "
                            "or a preset directory") from None
        raise
    if weights == "random":
        return LoadedModel(built, "random", "random weights, the preset's architecture",
                           built.count_params())
    source = "local preset directory" if is_directory_like(model) else "keras-hub preset"
    return LoadedModel(built, "preset", source, built.count_params())
