"""What a session does with its model once loaded: the seeds' inference protocol (with optional
batches and leak iterations) or a few training steps, on any model's workload (workloads.py; the
text one, through a model's own tokenizer, is here). Runs inside the session only."""

from __future__ import annotations

import random
import time
from typing import Any

from ..errors import UserError
from ..spec import LEAK_STAGE, RunSpec
from .stagepoint import StageRecorder
from .workloads import Workload, task_of


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


def text_workload(lm: Any, spec: RunSpec) -> Workload:
    """A model that generates from text through its own preprocessor (GPT-2, any preset)."""
    tokenizer, task = lm.preprocessor.tokenizer, task_of(lm)

    def infer(prompt: str) -> tuple[float, dict[str, Any]]:
        prompts: Any = prompt if spec.batch_size == 1 else [prompt] * spec.batch_size
        start = time.perf_counter()
        if task == "text_to_image":  # images: the model's own number of steps, no length
            lm.generate(prompts)
            latency = time.perf_counter() - start
            return latency, {"samples": spec.batch_size, "batch_size": spec.batch_size}
        output = lm.generate(prompts, max_length=spec.max_length)
        latency = time.perf_counter() - start
        texts = as_texts(output)
        prompt_tokens = count_tokens(tokenizer, prompt)
        generated = sum(max(count_tokens(tokenizer, t) - prompt_tokens, 0) for t in texts)
        return latency, {"tokens_output": sum(count_tokens(tokenizer, t) for t in texts),
                         "tokens_generated": generated, "batch_size": spec.batch_size,
                         "text": texts[0][:200]}

    def train(steps: int) -> float:
        texts = random_texts(spec.batch_size * steps, spec.max_length, seed=steps)
        start = time.perf_counter()
        lm.fit(x=texts, batch_size=spec.batch_size, epochs=1, verbose=0)
        return time.perf_counter() - start

    if spec.mode == "training":
        if task == "text_to_image":
            raise UserError("keras-hub's text-to-image models have no training step: "
                            "--mode inference")
        lm.compile(optimizer="adam")
    return Workload(task, {"prompts": [spec.batch_size]}, infer, train)


def run_inference(spec: RunSpec, stages: StageRecorder, work: Workload) -> None:
    stages.boundary("before_inference")
    for name, prompt in (("first_inference", spec.prompt),
                         ("second_inference", spec.second_prompt)):
        latency, figures = work.infer(prompt)
        stages.boundary(name, latency=latency, **figures)
    if spec.leak_iterations:
        run_leak_iterations(spec, stages, work)
    stages.boundary("final")


def run_leak_iterations(spec: RunSpec, stages: StageRecorder, work: Workload) -> None:
    """The seeds' leak test: the same inference N times; one `iteration` event each, its RSS
    read after a garbage collection (the recorder collects at every cut), inside one stage."""
    block = stages.begin(LEAK_STAGE)
    for i in range(1, spec.leak_iterations + 1):
        latency, _figures = work.infer(spec.prompt)
        stages.iteration(i, latency=latency)
    stages.end(block, iterations=spec.leak_iterations)


def random_texts(count: int, length: int, seed: int = 0) -> list[str]:
    """Random words: random tokens for training steps, whatever the tokenizer."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [" ".join("".join(rng.choice(letters) for _ in range(rng.randint(2, 8)))
                     for _ in range(length)) for _ in range(count)]


def run_training(spec: RunSpec, stages: StageRecorder, work: Workload) -> None:
    """`fit` steps: the first (tracing, compiling, optimizer state) and then the rest, each its
    own stage."""
    if work.train is None:
        raise UserError(f"a {work.task} model cannot be trained here")
    stages.boundary("before_training")
    stages.boundary("first_step", latency=work.train(1), steps=1, batch_size=spec.batch_size)
    stages.boundary("training", latency=work.train(spec.training_steps),
                    steps=spec.training_steps, batch_size=spec.batch_size)
    stages.boundary("final")
