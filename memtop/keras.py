"""`MemtopCallback`: a Keras 3 callback that turns training, evaluation and prediction into
memtop stages (`fit`, `evaluate`, `predict`, each epoch, and optionally every N batches).

    model.fit(x, y, epochs=3, callbacks=[memtop.keras.MemtopCallback()])

Under `memtop run` each becomes a stage with its exact peak; elsewhere the callback does nothing.
Importing this module imports keras.
"""

from __future__ import annotations

import keras

from memtop.markers import mark, stage


class MemtopCallback(keras.callbacks.Callback):
    """Stages: `train`, `train/epoch_N` (nested in `train`), `test`, `predict`; with
    `every_n_batches=N`, also `train/batch_M` marks every N training batches."""

    def __init__(self, every_n_batches: int | None = None, prefix: str = "") -> None:
        super().__init__()
        if every_n_batches is not None and every_n_batches <= 0:
            raise ValueError("every_n_batches must be positive")
        self.every_n_batches = every_n_batches
        self.prefix = prefix
        self._open: dict[str, stage] = {}

    def _begin(self, key: str, name: str) -> None:
        block = stage(self.prefix + name)
        block.__enter__()
        self._open[key] = block

    def _end(self, key: str) -> None:
        block = self._open.pop(key, None)
        if block is not None:
            block.__exit__(None, None, None)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._begin("train", "train")

    def on_train_end(self, logs: dict | None = None) -> None:
        self._end("epoch")
        self._end("train")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._begin("epoch", f"train/epoch_{epoch + 1}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._end("epoch")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.every_n_batches and (batch + 1) % self.every_n_batches == 0:
            mark(f"{self.prefix}train/batch_{batch + 1}")

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._begin("test", "test")

    def on_test_end(self, logs: dict | None = None) -> None:
        self._end("test")

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._begin("predict", "predict")

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._end("predict")
