"""Loading the model a session measures: a keras-hub preset, or the same architecture with random
weights where the preset cannot be had (no model hub here). Runs inside the session only.

Random weights measure what the real model costs in memory (memory goes by parameter count and
shapes, not values); the run records `weights: random` and the screen says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..catalog import GPT2_CONFIGS, check_model_argument, is_directory_like
from ..errors import UserError

RANDOM_WEIGHTS_SEED = 0
GPT2_VOCABULARY = 50257
GPT2_CONTEXT = 1024
TINY_CONTEXT = 128
# A few merges: keras-hub's BPE tokenizer fails with an empty merges list (HashTableV2 error).
_MERGES = ["Ġ t", "h e", "i n", "e r", "Ġ a", "o n"]


@dataclass
class LoadedModel:
    causal_lm: Any
    weights: str  # "preset" or "random"
    note: str  # why, shown beside the run
    parameters: int


def _byte_symbols() -> list[str]:
    """GPT-2's byte-to-unicode table: one printable character for each of the 256 bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def byte_level_vocabulary(size: int) -> tuple[dict[str, int], list[str]]:
    """A byte-level BPE vocabulary of exactly `size` tokens (the last is <|endoftext|>).

    Past the 256 bytes and the merged pairs it is filled with two-byte tokens, so that every id a
    random model can emit detokenizes, and the tokenizer's tables are as large as GPT-2's.
    """
    symbols = _byte_symbols()
    vocabulary = {s: i for i, s in enumerate(symbols)}
    for merge in _MERGES:
        vocabulary.setdefault(merge.replace(" ", ""), len(vocabulary))
    for first in symbols:
        if len(vocabulary) >= size - 1:
            break
        for second in symbols:
            if len(vocabulary) >= size - 1:
                break
            vocabulary.setdefault(first + second, len(vocabulary))
    vocabulary["<|endoftext|>"] = len(vocabulary)
    return vocabulary, list(_MERGES)


def build_random_gpt2(name: str, dtype: str) -> Any:
    """The preset's architecture with random weights drawn from a fixed seed, so that two runs
    build (and generate with) the same model: a random model's first token may be its end
    token, and then a generation is empty; with a seed that is at least the same every time."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(RANDOM_WEIGHTS_SEED)

    config = GPT2_CONFIGS[name]
    tiny = name == "gpt2_tiny"
    vocabulary, merges = byte_level_vocabulary(300 if tiny else GPT2_VOCABULARY)
    context = TINY_CONTEXT if tiny else GPT2_CONTEXT
    tokenizer = keras_hub.models.GPT2Tokenizer(vocabulary=vocabulary, merges=merges)
    preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(
        tokenizer=tokenizer, sequence_length=min(context, 1024))
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=len(vocabulary), max_sequence_length=context, dtype=dtype, **config)
    return keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=preprocessor)


def _is_network_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        name = type(seen).__name__
        if isinstance(seen, ConnectionError | TimeoutError) or "Connection" in name \
                or "Timeout" in name or "NameResolution" in name:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def load_model(model: str, weights: str, dtype: str) -> LoadedModel:
    check_model_argument(model, weights)
    if weights == "random" or model == "gpt2_tiny":
        lm = build_random_gpt2(model, dtype)
        return LoadedModel(lm, "random", "random weights (asked for)", lm.count_params())

    import keras_hub

    try:
        lm = keras_hub.models.CausalLM.from_preset(model, dtype=dtype)
    except Exception as exc:
        if _is_network_error(exc):
            if weights == "auto" and model in GPT2_CONFIGS:
                lm = build_random_gpt2(model, dtype)
                note = "random weights: the preset could not be downloaded (no network)"
                return LoadedModel(lm, "random", note, lm.count_params())
            raise UserError(f"preset '{model}' could not be downloaded (no network?); "
                            "use a local preset directory or --weights random") from None
        if "Unknown preset identifier" in str(exc):
            raise UserError(f"unknown preset '{model}': not a keras-hub preset name "
                            "or a preset directory") from None
        raise
    source = "local preset directory" if is_directory_like(model) else "keras-hub preset"
    return LoadedModel(lm, "preset", source, lm.count_params())
