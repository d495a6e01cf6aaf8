"""What a session does with its model once loaded: the seeds' inference protocol (with optional
batches and leak iterations) or a few training steps. Runs inside the session only."""

from __future__ import annotations

import random
import time
from typing import Any

from ..spec import LEAK_STAGE, RunSpec
from .stagepoint import StageRecorder


def count_tokens(tokenizer: Any, text: str) -> int:
    import numpy as np

    return int(np.asarray(tokenizer.tokenize(text)).size)


def as_texts(output: Any) -> list[str]:
    """generate() gives a string, bytes, or an array/list of them (for a batch)."""
    import numpy as np

    if isinstance(output, str | bytes):
        output = [output]
    texts = []
    for value in np.asarray(output, dtype=object).reshape(-1):
        texts.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
    return texts


def _generate(lm: Any, prompt: str, batch_size: int, max_length: int) -> tuple[list[str], float]:
    prompts: Any = prompt if batch_size == 1 else [prompt] * batch_size
    start = time.perf_counter()
    output = lm.generate(prompts, max_length=max_length)
    return as_texts(output), time.perf_counter() - start


def _inference_stage(stages: StageRecorder, name: str, lm: Any, prompt: str,
                     spec: RunSpec) -> None:
    tokenizer = lm.preprocessor.tokenizer
    texts, latency = _generate(lm, prompt, spec.batch_size, spec.max_length)
    prompt_tokens = count_tokens(tokenizer, prompt)
    tokens_out = sum(count_tokens(tokenizer, t) for t in texts)
    generated = sum(max(count_tokens(tokenizer, t) - prompt_tokens, 0) for t in texts)
    stages.boundary(name, latency=latency, tokens_output=tokens_out, tokens_generated=generated,
                    batch_size=spec.batch_size, text=texts[0][:200])


def run_inference(spec: RunSpec, stages: StageRecorder, lm: Any) -> None:
    stages.boundary("before_inference")
    _inference_stage(stages, "first_inference", lm, spec.prompt, spec)
    _inference_stage(stages, "second_inference", lm, spec.second_prompt, spec)
    if spec.leak_iterations:
        run_leak_iterations(spec, stages, lm)
    stages.boundary("final")


def run_leak_iterations(spec: RunSpec, stages: StageRecorder, lm: Any) -> None:
    """The seeds' leak test: the same generation N times; one `iteration` event each, its RSS
    read after a garbage collection (the recorder collects at every cut), inside one stage."""
    block = stages.begin(LEAK_STAGE)
    for i in range(1, spec.leak_iterations + 1):
        _texts, latency = _generate(lm, spec.prompt, spec.batch_size, spec.max_length)
        stages.iteration(i, latency=latency)
    stages.end(block, iterations=spec.leak_iterations)


def random_texts(count: int, length: int, seed: int = 0) -> list[str]:
    """Random words: random tokens for training steps, whatever the tokenizer."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [" ".join("".join(rng.choice(letters) for _ in range(rng.randint(2, 8)))
                     for _ in range(length)) for _ in range(count)]


def run_training(spec: RunSpec, stages: StageRecorder, lm: Any) -> None:
    """A few `fit` steps on random text: the first step (tracing, compiling, optimizer state)
    and then the rest, each its own stage."""
    batch = spec.batch_size
    texts = random_texts(batch * (spec.training_steps + 1), spec.max_length)
    lm.compile(optimizer="adam")
    stages.boundary("before_training")
    start = time.perf_counter()
    lm.fit(x=texts[:batch], batch_size=batch, epochs=1, verbose=0)
    stages.boundary("first_step", latency=time.perf_counter() - start, steps=1,
                    batch_size=batch)
    start = time.perf_counter()
    lm.fit(x=texts[batch:], batch_size=batch, epochs=1, verbose=0)
    stages.boundary("training", latency=time.perf_counter() - start,
                    steps=spec.training_steps, batch_size=batch)
    stages.boundary("final")
