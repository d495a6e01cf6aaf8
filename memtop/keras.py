"""`MemtopCallback`: a Keras 3 callback that turns training, evaluation and prediction into
memtop stages, nested as Keras runs them:

    fit                       (model.fit)
      epoch        #1, #2 …   (each epoch; its Keras number is stored as `epoch`)
        batch      #1, #2 …   (with every_n_batches=N: a mark every N training batches)
        evaluate              (validation, inside the epoch where Keras runs it)
    evaluate                  (model.evaluate)
    predict                   (model.predict)

    model.fit(x, y, epochs=3, callbacks=[memtop.keras.MemtopCallback()])

Under `memtop run` each becomes a stage with its exact peak; elsewhere the callback does nothing.
Repeated stages are occurrences of one name (docs/metrics.md), so that runs of any length line
up stage by stage and fold into one row per name. Importing this module imports keras.
"""

from __future__ import annotations

import keras

from memtop.markers import mark, stage


class MemtopCallback(keras.callbacks.Callback):
    """Stages `fit`, `fit/epoch`, `fit/epoch/evaluate` (validation), `evaluate`, `predict`; with
    `every_n_batches=N`, also a mark `fit/epoch/batch` every N training batches. `prefix` goes
    before every name (two models in one program)."""

    def __init__(self, every_n_batches: int | None = None, prefix: str = "") -> None:
        super().__init__()
        if every_n_batches is not None and every_n_batches <= 0:
            raise ValueError("every_n_batches must be positive")
        self.every_n_batches = every_n_batches
        self.prefix = prefix
        self._open: list[tuple[str, stage]] = []  # (what, its block), outermost first

    def _begin(self, what: str, **extra: int) -> None:
        block = stage(self.prefix + what, **extra)
        block.__enter__()
        self._open.append((what, block))

    def _end(self, what: str) -> None:
        """Ends the innermost open `what` (and, first, anything this callback left open inside
        it: a Keras call that raised never got its end)."""
        while any(key == what for key, _ in self._open):
            key, block = self._open.pop()
            if key == what:
                block.__exit__(None, None, None)
                return
            block.abandon()  # left open inside it

    def _close_stale(self) -> None:
        """A `fit` that raised never reached on_train_end: its blocks end now, failed."""
        while self._open:
            self._open.pop()[1].abandon()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._close_stale()
        self._begin("fit")

    def on_train_end(self, logs: dict | None = None) -> None:
        self._end("fit")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._begin("epoch", epoch=epoch + 1)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._end("epoch")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.every_n_batches and (batch + 1) % self.every_n_batches == 0:
            mark(self.prefix + "batch", batch=batch + 1)

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not any(key == "fit" for key, _ in self._open):
            self._close_stale()  # a standalone evaluate: nothing of an earlier call is open
        self._begin("evaluate")

    def on_test_end(self, logs: dict | None = None) -> None:
        self._end("evaluate")

    def on_predict_begin(self, logs: dict | None = None) -> None:
        if not any(key == "fit" for key, _ in self._open):
            self._close_stale()
        self._begin("predict")

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._end("predict")
