"""GPT-2 by preset name with random weights and a tokenizer of GPT-2's size: memtop's default
model and its test size (gpt2_tiny) where no model hub can be reached. Runs inside the session.
"""

from __future__ import annotations

from typing import Any

from ..models.catalog import GPT2_CONFIGS

RANDOM_WEIGHTS_SEED = 0
GPT2_VOCABULARY = 50257
GPT2_CONTEXT = 1024
TINY_CONTEXT = 128
# A few merges: keras-hub's BPE tokenizer fails with an empty merges list (HashTableV2 error).
_MERGES = ["Ġ t", "h e", "i n", "e r", "Ġ a", "o n"]


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
