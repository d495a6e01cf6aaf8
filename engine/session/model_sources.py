"""Where a session's model comes from, besides GPT-2 by name (gpt2_random.py): a keras-hub preset
of any task, a family's architecture with random weights, a `keras.applications` model, or the
user's own factory. Runs inside the session only (imports Keras)."""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from typing import Any

from ..errors import UserError
from ..models.architectures import RANDOM_ARCHITECTURES, Architecture
from ..models.catalog import APPLICATIONS_PREFIX, TASKS, split_factory
from .gpt2_random import RANDOM_WEIGHTS_SEED

CLASSES_WITHOUT_TASK_FILE = 2  # a classifier preset saved without its head: a 2-class head
# What a preset without task.json needs to be loaded as a task: its preprocessor's files.
PREPROCESSOR_FILES = ("preprocessor.json", "tokenizer.json", "image_converter.json")


def task_base(name: str) -> Any:
    """keras_hub.models' base class for a task name of catalog.TASKS."""
    import keras_hub

    return getattr(keras_hub.models, TASKS[name])


def build_architecture(name: str, dtype: str) -> Any:
    """A family's task model with random weights from a fixed seed, without a preprocessor: its
    inputs are token ids or images (no tokenizer files without a model hub)."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(RANDOM_WEIGHTS_SEED)
    arch = RANDOM_ARCHITECTURES[name]
    backbone = getattr(keras_hub.models, arch.backbone)(**arch.config, dtype=dtype)
    return getattr(keras_hub.models, arch.task)(backbone=backbone, preprocessor=None,
                                                **arch.task_config)


def count_without_allocating(arch: Architecture) -> int:
    """The backbone's parameters, from shapes only: variables made in a stateless scope that is
    told not to initialize them hold no memory (an 8 B model counts in under a second)."""
    import keras
    import keras_hub
    from keras.src.backend.common import global_state

    pending = "uninitialized_variables"
    before = len(global_state.get_global_attribute(pending) or [])
    with keras.StatelessScope(initialize_variables=False):
        count = int(getattr(keras_hub.models, arch.backbone)(**arch.config).count_params())
    # Such variables wait in a global list for the next scope that initializes (Keras makes
    # one inside many calls): leave them there and that scope allocates the whole model.
    left = global_state.get_global_attribute(pending) or []
    global_state.set_global_attribute(pending, left[:before])
    return count


def _preset_task_class(preset: str, task: str, task_file: bool) -> Any:
    """The task class a preset is loaded as: the one asked for, else the one its task.json
    (`task_file`) names, else the first task of catalog.TASKS that has a class for the preset's
    backbone (if the preset has a preprocessor's files), else the bare Backbone."""
    from keras_hub.src.utils.preset_utils import (
        TASK_CONFIG_FILE,
        check_config_class,
        check_file_exists,
        get_preset_loader,
        list_subclasses,
        load_json,
    )

    if task != "auto":
        return task_base(task)
    if task_file:
        return check_config_class(load_json(preset, TASK_CONFIG_FILE))
    if not any(check_file_exists(preset, f) for f in PREPROCESSOR_FILES):
        return task_base("backbone")  # a task would need a tokenizer or image converter
    backbone_cls = get_preset_loader(preset).check_backbone_class()
    for name in TASKS:
        if name not in ("auto", "backbone") and any(
                c.backbone_cls is backbone_cls for c in list_subclasses(task_base(name))):
            return task_base(name)
    return task_base("backbone")


def load_preset(preset: str, task: str, dtype: str, load_weights: bool = True) -> Any:
    import keras_hub
    from keras_hub.src.utils.preset_utils import TASK_CONFIG_FILE, check_file_exists

    task_file = check_file_exists(preset, TASK_CONFIG_FILE)  # remote presets: a download
    cls = _preset_task_class(preset, task, task_file)
    kwargs: dict[str, Any] = {"dtype": dtype}
    if issubclass(cls, keras_hub.models.Backbone):
        return cls.from_preset(preset, load_weights=load_weights, **kwargs)
    if issubclass(cls, keras_hub.models.Classifier | keras_hub.models.TextClassifier) and \
            not task_file:
        kwargs["num_classes"] = CLASSES_WITHOUT_TASK_FILE
    return cls.from_preset(preset, load_weights=load_weights, **kwargs)


def build_application(model: str, weights: str) -> Any:
    """keras.applications.NAME, with weights=None for random weights (no download)."""
    import keras

    name = model.removeprefix(APPLICATIONS_PREFIX)
    factory = getattr(keras.applications, name, None)
    if factory is None or not callable(factory):
        raise UserError(f"keras.applications has no model '{name}'")
    if weights == "random":  # the same model every run, as for the families
        keras.utils.set_random_seed(RANDOM_WEIGHTS_SEED)
    return factory(weights=None if weights == "random" else "imagenet")


def _factory_function(model: str) -> Callable[..., Any]:
    where, function = split_factory(model)
    if where.endswith(".py"):
        spec = importlib.util.spec_from_file_location("memtop_user_model", os.path.abspath(where))
        if spec is None or spec.loader is None:
            raise UserError(f"cannot load {where}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    found = getattr(module, function, None)
    if not callable(found):
        raise UserError(f"{where} has no function '{function}'")
    return found


def build_from_factory(model: str) -> tuple[Any, Callable[[int], Any] | None]:
    """The user's `file.py:function` or `package.module:function`. It returns a Keras model, or
    (model, make_batch) where make_batch(batch_size) returns inputs, or (inputs, targets)."""
    import keras

    made = _factory_function(model)()
    make_batch = None
    if isinstance(made, tuple) and len(made) == 2 and callable(made[1]):
        made, make_batch = made
    if not isinstance(made, keras.Model):
        raise UserError(f"{model} returned {type(made).__name__}, not a Keras model")
    if not made.built:  # subclassed: its weights exist once it has seen inputs
        if make_batch is None:
            raise UserError(f"{model} returned a model that has no input shapes (a subclassed "
                            "model?): return (model, make_batch) from the factory")
        batch = make_batch(1)
        made(batch[0] if isinstance(batch, tuple) else batch)
    return made, make_batch
