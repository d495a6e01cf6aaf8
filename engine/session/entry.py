"""A backend session: one model run in a clean interpreter, `KERAS_BACKEND` set before import.

Started by the engine as `python -m memtop.engine.session` (__main__.py) with the run's spec
in MEMTOP_SPEC and an event descriptor in MEMTOP_EVENT_FD. It runs the seeds' protocol and
reports each stage boundary (see stagepoint.py); memory is sampled from outside by the engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback

from ..errors import UserError
from ..spec import ALLOCATIONS_ENV, EXIT_USER_ERROR, SPEC_ENV, RunSpec
from .cut_extras import CutExtras
from .stagepoint import EventChannel, StageRecorder


def block_foreign_frameworks(backend: str) -> list[str]:
    """--isolate: make other frameworks unimportable, so keras and keras-hub skip them."""
    from ..backends import FRAMEWORKS

    blocked = [m for m in ("tensorflow", "tensorflow_text", "torch", "jax", "jaxlib", "openvino")
               if m != FRAMEWORKS[backend] and not m.startswith(FRAMEWORKS[backend])]
    for name in blocked:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    return blocked


def run_protocol(spec: RunSpec, stages: StageRecorder) -> None:
    from ..backends import FRAMEWORKS
    from .allocators import (
        allocator_probe,
        allocator_settings,
        cpu_allocator_probe,
        require_gpu,
    )
    from .environment import foreign_frameworks, session_metadata
    from .models import load_model
    from .protocols import run_inference, run_training, text_workload
    from .workloads import workload_for

    blocked = block_foreign_frameworks(spec.backend) if spec.isolate else []
    import keras  # noqa: F401  (the backend is chosen here, from KERAS_BACKEND)
    import keras_hub  # noqa: F401

    __import__(FRAMEWORKS[spec.backend])
    gpu = require_gpu(spec.backend) if spec.device == "gpu" else None
    stages.probe = allocator_probe(spec.backend) if gpu else cpu_allocator_probe(spec.backend)
    stages.boundary("initial")
    stages.send({"type": "meta", "meta": {
        **session_metadata(spec.backend), "isolated": blocked, "gpu": gpu,
        "allocator_settings": allocator_settings(spec.backend, spec.device),
        "foreign_frameworks": foreign_frameworks(spec.backend)}})
    start = time.perf_counter()
    loaded = load_model(spec.model, spec.weights, spec.dtype, spec.task)
    load_s = time.perf_counter() - start
    stages.send({"type": "meta", "meta": {"weights": loaded.weights, "weights_note": loaded.note,
                                           "parameters": loaded.parameters}})
    stages.boundary("model_loaded", load_s=load_s)
    work = workload_for(loaded.model, spec, loaded.make_batch) or \
        text_workload(loaded.model, spec)
    stages.send({"type": "meta", "meta": {"task": work.task, "inputs": work.inputs}})
    if spec.mode == "training":
        run_training(spec, stages, work)
    else:
        run_inference(spec, stages, work)
    stages.send({"type": "meta",
                 "meta": {"foreign_frameworks": foreign_frameworks(spec.backend)}})


def allocation_tracker() -> contextlib.AbstractContextManager:
    """--allocations: memray tracks every allocation of the protocol, with native stacks, into
    the capture file beside the run file (analysis/allocations.py aligns it with the stages)."""
    capture = os.environ.get(ALLOCATIONS_ENV)
    if not capture:
        return contextlib.nullcontext()
    import memray

    return memray.Tracker(capture, native_traces=True)


def error_message(exc: BaseException) -> str:
    """The exception, and the one it was raised from: frameworks wrap the telling error in a
    generic one ("`convert_to_numpy` failed to convert the tensor", from OpenVINO's own)."""
    message = f"{type(exc).__name__}: {exc}".strip()
    cause = exc.__cause__
    if cause is not None and str(cause).strip():
        message += f" (from {type(cause).__name__}: {str(cause).strip()})"
    return message


def main() -> int:
    channel = EventChannel.from_env()
    # Mapping groups at every one of the protocol's six cuts (markers: within a time share).
    stages = StageRecorder(channel, extras=CutExtras(groups_share=None))
    try:
        spec = RunSpec.from_dict(json.loads(os.environ[SPEC_ENV]))
        with allocation_tracker():
            run_protocol(spec, stages)
    except UserError as exc:
        stages.send({"type": "error", "user": True, "message": str(exc)})
        return EXIT_USER_ERROR
    except BaseException as exc:
        stages.send({"type": "error", "user": False, "message": error_message(exc)[:2000],
                     "traceback": traceback.format_exc()[-8000:]})
        raise
    stages.send({"type": "done"})
    return 0

