"""A user's own model factory, as `memtop bench --model tests/helpers/tiny_factory.py:build`
takes it: a function that returns a Keras model; `build_with_inputs` also returns the function
that makes one batch of inputs and targets (for a model whose inputs Keras cannot know)."""

import keras
import numpy as np

FEATURES = 16


def build() -> keras.Model:
    inputs = keras.Input((FEATURES,))
    hidden = keras.layers.Dense(64, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(4)(hidden))


class Subclassed(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        return self.dense(x)


def build_with_inputs():
    def make_batch(batch_size: int):
        return (np.ones((batch_size, 5), "float32"), np.zeros((batch_size, 3), "float32"))
    return Subclassed(), make_batch


def build_subclassed() -> keras.Model:
    return Subclassed()


def build_wide() -> keras.Model:
    """32 MiB of output a sample (8 Mi floats), so that each sample adds tens of MiB to the
    peak: memory that grows with the batch by steps a budget can fall between."""
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(8 * 2**20, use_bias=False)(inputs))


def build_wider() -> keras.Model:
    """128 MiB of output a sample: a trial twice the size that fit grows by more than the
    shared libraries' pages, which a memory cgroup does not charge, so the limit is hit."""
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(32 * 2**20, use_bias=False)(inputs))
