"""A tiny Keras fit with MemtopCallback (run by tests/test_keras_callback.py on torch)."""

import keras
import numpy as np

from memtop.keras import MemtopCallback

model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
x, y = np.random.rand(64, 8).astype("float32"), np.random.rand(64, 1).astype("float32")
callback = MemtopCallback(every_n_batches=2)
model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
model.evaluate(x, y, verbose=0, callbacks=[callback])
model.predict(x, verbose=0, callbacks=[callback])
