"""One inference and one training step for any model, by its task, so that every model goes
through the seeds' six stages (protocols.py): `generate` for language and text-to-image models,
`predict` on a batch of the model's input shape for the others, `fit` on synthetic targets where
the task has a loss. Runs inside the session only (imports Keras and NumPy).

Token ids stand in for text where a model has no preprocessor (a family built with random
weights has no tokenizer files): a prompt of as many random tokens as it has words, generated
into to `max_length` like a text prompt.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from ..models.catalog import TASKS
from ..spec import RunSpec
from .gpt2_random import RANDOM_WEIGHTS_SEED
from .model_sources import task_base

IMAGE_SIDE = 224  # an image input of any size is measured at ImageNet's
GENERATIVE = ("causal_lm", "seq2seq_lm", "text_to_image")


@dataclass
class Workload:
    task: str  # a name of catalog.TASKS, or "model" (any other Keras model)
    inputs: dict[str, list[int]]  # one batch's shapes, for the run file
    infer: Callable[[str], tuple[float, dict[str, Any]]]  # a prompt → latency, stage figures
    train: Callable[[int], float] | None  # steps → seconds; None: the task has no loss


def task_of(model: Any) -> str:
    """The most specific task the model is (keras-hub's Seq2SeqLM is also a CausalLM)."""
    matches = [task_base(name) for name in TASKS if name != "auto" and
               isinstance(model, task_base(name))]
    if not matches:
        return "model"
    found = max(matches, key=lambda base: len(base.__mro__))
    return next(name for name in TASKS if name != "auto" and task_base(name) is found)


def _rng(seed_text: str) -> Any:
    import numpy as np

    return np.random.default_rng(RANDOM_WEIGHTS_SEED + zlib.crc32(seed_text.encode()))


def _vocabulary(model: Any) -> int:
    return int(getattr(getattr(model, "backbone", model), "vocabulary_size", None) or 2)


def example_inputs(model: Any, batch: int, sequence_length: int) -> Any:
    """A batch shaped like the model's inputs: token ids below its vocabulary, masks of ones,
    segment ids of zeros, images of random values; unknown lengths are `sequence_length` for
    integer inputs and IMAGE_SIDE for others."""
    import keras
    import numpy as np

    try:
        structure = model.input
    except (AttributeError, ValueError):
        raise UserError("the model has no input shapes (a subclassed model?): return "
                        "(model, make_batch) from the factory") from None
    rng, vocabulary = _rng("inputs"), _vocabulary(model)

    def make(tensor: Any) -> Any:
        dtype = keras.backend.standardize_dtype(tensor.dtype)
        whole = "int" in dtype or dtype == "bool"
        shape = [batch, *(d if d is not None else sequence_length if whole else IMAGE_SIDE
                          for d in tensor.shape[1:])]
        name = getattr(tensor, "name", "") or ""
        if dtype == "bool" or (whole and "mask" in name):
            return np.ones(shape, dtype)
        if whole:
            return np.zeros(shape, dtype) if "segment" in name \
                else rng.integers(0, vocabulary, shape).astype(dtype)
        return rng.standard_normal(shape).astype("float32")

    return keras.tree.map_structure(make, structure)


def shapes_of(batch: Any) -> dict[str, list[int]]:
    import keras

    if isinstance(batch, dict):
        return {str(k): list(v.shape) for k, v in batch.items()}
    flat = keras.tree.flatten(batch)
    if len(flat) == 1:
        return {"inputs": list(flat[0].shape)}
    return {f"input_{i}": list(v.shape) for i, v in enumerate(flat)}


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def _token_prompt(model: Any, prompt: str, batch: int, max_length: int) -> tuple[dict, int]:
    import numpy as np

    words = max(1, len(prompt.split()))
    length = max(max_length, words + 1)
    ids = np.zeros((batch, length), "int32")
    ids[:, :words] = _rng(prompt).integers(1, _vocabulary(model), (batch, words))
    mask = np.zeros((batch, length), bool)
    mask[:, :words] = True
    return {"token_ids": ids, "padding_mask": mask}, words


def _generate_ids(model: Any, spec: RunSpec) -> Callable[[str], tuple[float, dict[str, Any]]]:
    import numpy as np

    def infer(prompt: str) -> tuple[float, dict[str, Any]]:
        inputs, words = _token_prompt(model, prompt, spec.batch_size, spec.max_length)
        out, latency = _timed(lambda: model.generate(inputs, stop_token_ids=None))
        kept = int(np.asarray(out["padding_mask"]).sum())
        return latency, {"tokens_output": kept, "batch_size": spec.batch_size,
                         "tokens_generated": kept - words * spec.batch_size}
    return infer


def _predict(model: Any, x: Any, spec: RunSpec) -> Callable[[str], tuple[float, dict[str, Any]]]:
    def infer(_prompt: str) -> tuple[float, dict[str, Any]]:
        _, latency = _timed(lambda: model.predict(x, batch_size=spec.batch_size, verbose=0))
        return latency, {"samples": spec.batch_size, "batch_size": spec.batch_size}
    return infer


def _targets(model: Any, task: str, x: Any, rows: int) -> Any:
    import numpy as np

    if task == "causal_lm":
        return x["token_ids"]
    if task in ("text_classifier", "image_classifier"):
        return _rng("targets").integers(0, int(model.num_classes), (rows,))
    outputs = getattr(model, "outputs", None) or []
    if len(outputs) != 1:
        raise UserError("training a model of several outputs needs targets: return "
                        "(model, make_batch) from the factory, make_batch giving (x, y)")
    return np.zeros([rows, *(d or 1 for d in outputs[0].shape[1:])], "float32")


def _fit(model: Any, task: str, batch: Any, spec: RunSpec) -> Callable[[int], float]:
    """fit on `steps` batches: the inputs repeated, targets synthetic (or the factory's)."""
    import keras
    import numpy as np

    x, y = batch if isinstance(batch, tuple) else (batch, None)
    if task in ("causal_lm", "text_classifier", "image_classifier"):
        model.compile(optimizer="adam")  # keras-hub's own loss for the task
    elif not getattr(model, "compiled", False):
        model.compile(optimizer="adam", loss="mse")

    def train(steps: int) -> float:
        xs = keras.tree.map_structure(lambda a: np.concatenate([a] * steps), x)
        ys = np.concatenate([y] * steps) if y is not None \
            else _targets(model, task, xs, spec.batch_size * steps)
        _, seconds = _timed(lambda: model.fit(x=xs, y=ys, batch_size=spec.batch_size,
                                              epochs=1, verbose=0))
        return seconds
    return train


def workload_for(model: Any, spec: RunSpec, make_batch: Callable[[int], Any] | None = None
                 ) -> Workload | None:
    """The workload of a model that does not generate from text (None for one that does: the
    text protocol in protocols.py runs those, through their tokenizer)."""
    task = task_of(model)
    if task in GENERATIVE and getattr(model, "preprocessor", None) is not None:
        return None
    if task in ("seq2seq_lm", "text_to_image"):
        raise UserError(f"a {task} model without its preprocessor cannot generate: give a "
                        "preset with its tokenizer, or --task backbone")
    if task == "causal_lm" and make_batch is None:
        import numpy as np

        shape = (spec.batch_size, spec.sequence_length)
        batch = {"token_ids": _rng("train").integers(1, _vocabulary(model), shape)
                 .astype("int32"), "padding_mask": np.ones(shape, bool)}
        train = _fit(model, task, batch, spec) if spec.mode == "training" else None
        return Workload(task, shapes_of(batch), _generate_ids(model, spec), train)
    batch = make_batch(spec.batch_size) if make_batch else \
        example_inputs(model, spec.batch_size, spec.sequence_length)
    x = batch[0] if isinstance(batch, tuple) else batch
    train = None
    if spec.mode == "training":
        if task == "backbone":
            raise UserError("a bare backbone has no loss to train: give a task preset "
                            "(--task) or use --mode inference")
        train = _fit(model, task, batch, spec)
    return Workload(task, shapes_of(x), _predict(model, x, spec), train)
