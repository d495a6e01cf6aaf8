"""A small Keras training script with MemtopCallback, as a user writes one (tests/
test_keras_callback.py runs it under `memtop run` on torch and JAX).

3 epochs with validation data, a mark every 2 training batches, then evaluate and predict.
SPIKE_MIB (default 0): validation in epoch SPIKE_EPOCH (default 2) holds a block of that many
MiB for one batch and frees it: a known allocation inside one occurrence of `evaluate`.
RAISE_AT_EPOCH: a callback raises inside that epoch (fit fails; the script exits 1).
CATCH=1 (with RAISE_AT_EPOCH): the script catches the error and fits again for one epoch.
SHORT=1: fit from initial_epoch=1 for epochs=4 with steps_per_epoch=3, and a callback stops
training after the first batch of Keras's epoch 3 (early stopping cuts that epoch short).
"""

import os

import keras
import numpy as np

from memtop.keras import MemtopCallback

SPIKE_MIB = int(os.environ.get("SPIKE_MIB", "0"))
SPIKE_EPOCH = int(os.environ.get("SPIKE_EPOCH", "2"))
RAISE_AT_EPOCH = int(os.environ.get("RAISE_AT_EPOCH", "0"))
SHORT = os.environ.get("SHORT") == "1"
CATCH = os.environ.get("CATCH") == "1"


class Spike(keras.callbacks.Callback):
    """Allocates (and touches) SPIKE_MIB during one validation batch of epoch SPIKE_EPOCH."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1
        if self.epoch == RAISE_AT_EPOCH:
            raise RuntimeError(f"stopped in epoch {self.epoch}")

    def on_train_batch_end(self, batch, logs=None):
        if SHORT and self.epoch == 3:
            self.model.stop_training = True

    def on_test_batch_end(self, batch, logs=None):
        if SPIKE_MIB and self.epoch == SPIKE_EPOCH and batch == 0:
            block = np.ones(SPIKE_MIB * 2**20, dtype=np.uint8)
            del block


model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
rng = np.random.default_rng(0)
x, y = rng.random((96, 8), dtype="float32"), rng.random((96, 1), dtype="float32")
callbacks = [MemtopCallback(every_n_batches=2), Spike()]
if SHORT:
    model.fit(x[:64], y[:64], validation_data=(x[64:], y[64:]), initial_epoch=1, epochs=4,
              steps_per_epoch=3, batch_size=16, verbose=0, callbacks=callbacks)
elif CATCH:
    try:
        model.fit(x[:64], y[:64], epochs=3, batch_size=16, verbose=0, callbacks=callbacks)
    except RuntimeError:
        RAISE_AT_EPOCH = 0
    model.fit(x[:64], y[:64], epochs=1, batch_size=16, verbose=0, callbacks=callbacks)
else:
    model.fit(x[:64], y[:64], validation_data=(x[64:], y[64:]), epochs=3, batch_size=16,
              verbose=0, callbacks=callbacks)
model.evaluate(x, y, verbose=0, callbacks=callbacks[:1])
model.predict(x, verbose=0, callbacks=callbacks[:1])
