"""A backend session: one model run in a clean interpreter, `KERAS_BACKEND` set before import.

Started by the engine as `python -m memtop.engine.session` with the run's spec in MEMTOP_SPEC and
an event descriptor in MEMTOP_EVENT_FD. It runs the seeds' protocol and reports each stage
boundary (see stagepoint.py); memory is sampled from outside by the engine.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any

from .errors import UserError
from .runspec import RunSpec
from .stagepoint import EventChannel, StageRecorder

SPEC_ENV = "MEMTOP_SPEC"
EXIT_USER_ERROR = 2


def block_foreign_frameworks(backend: str) -> list[str]:
    """--isolate: make other frameworks unimportable, so keras and keras-hub skip them."""
    from .backends import FRAMEWORKS

    blocked = [m for m in ("tensorflow", "tensorflow_text", "torch", "jax", "jaxlib", "openvino")
               if m != FRAMEWORKS[backend] and not m.startswith(FRAMEWORKS[backend])]
    for name in blocked:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    return blocked


def count_tokens(tokenizer: Any, text: Any) -> int:
    import numpy as np

    return int(np.asarray(tokenizer.tokenize(text)).size)


def as_text(output: Any) -> str:
    import numpy as np

    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    if isinstance(output, str):
        return output
    value = np.asarray(output).reshape(-1)[0]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def run_inference(stages: StageRecorder, name: str, lm: Any, prompt: str, max_length: int) -> None:
    tokenizer = lm.preprocessor.tokenizer
    start = time.perf_counter()
    output = as_text(lm.generate(prompt, max_length=max_length))
    latency = time.perf_counter() - start
    tokens_out = count_tokens(tokenizer, output)
    generated = max(tokens_out - count_tokens(tokenizer, prompt), 0)
    stages.boundary(name, latency=latency, tokens_output=tokens_out, tokens_generated=generated,
                    text=output[:200])


def run_protocol(spec: RunSpec, stages: StageRecorder) -> None:
    from .backends import FRAMEWORKS
    from .models import load_model
    from .session_meta import foreign_frameworks, session_metadata

    blocked = block_foreign_frameworks(spec.backend) if spec.isolate else []
    import keras  # noqa: F401  (the backend is chosen here, from KERAS_BACKEND)
    import keras_hub  # noqa: F401

    __import__(FRAMEWORKS[spec.backend])
    stages.boundary("initial")
    stages.send({"type": "meta", "meta": {**session_metadata(spec.backend),
                                           "isolated": blocked,
                                           "foreign_frameworks": foreign_frameworks(
                                               spec.backend)}})
    start = time.perf_counter()
    loaded = load_model(spec.model, spec.weights, spec.dtype)
    load_s = time.perf_counter() - start
    stages.send({"type": "meta", "meta": {"weights": loaded.weights, "weights_note": loaded.note,
                                           "parameters": loaded.parameters}})
    stages.boundary("model_loaded", load_s=load_s)
    stages.boundary("before_inference")
    run_inference(stages, "first_inference", loaded.causal_lm, spec.prompt, spec.max_length)
    run_inference(stages, "second_inference", loaded.causal_lm, spec.second_prompt,
                  spec.max_length)
    stages.boundary("final")
    stages.send({"type": "meta",
                 "meta": {"foreign_frameworks": foreign_frameworks(spec.backend)}})


def main() -> int:
    channel = EventChannel.from_env()
    stages = StageRecorder(channel)
    try:
        spec = RunSpec.from_dict(json.loads(os.environ[SPEC_ENV]))
        run_protocol(spec, stages)
    except UserError as exc:
        stages.send({"type": "error", "user": True, "message": str(exc)})
        return EXIT_USER_ERROR
    except BaseException as exc:
        stages.send({"type": "error", "user": False,
                     "message": f"{type(exc).__name__}: {exc}".strip()[:2000],
                     "traceback": traceback.format_exc()[-8000:]})
        raise
    stages.send({"type": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
