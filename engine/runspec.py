"""What one run is asked to do: sent from the client to the engine, and into the session."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

STAGES = ("initial", "model_loaded", "before_inference", "first_inference",
          "second_inference", "final")
TRAINING_STAGES = ("initial", "model_loaded", "before_training", "first_step", "training",
                   "final")
LEAK_STAGE = "leak_iterations"  # between second_inference and final, with --leak-iterations
WEIGHTS = ("auto", "preset", "random")


@dataclass(frozen=True)
class RunSpec:
    backend: str
    model: str = "gpt2_medium_en"
    weights: str = "auto"  # auto: the real preset when it loads, else random weights
    prompt: str = "Hello"
    second_prompt: str = "Test"
    max_length: int = 10
    dtype: str = "float32"
    isolate: bool = False  # keep other ML frameworks out of the session
    interval_ms: float = 5.0  # RSS sampling interval
    runs_dir: str = "runs"
    label: str = ""
    mode: str = "inference"  # or "training": a few fit steps on random tokens
    batch_size: int = 1  # prompts per generate call (training: sequences per step)
    leak_iterations: int = 0  # generate calls repeated after the protocol, for a leak slope
    training_steps: int = 4
    device: str = "cpu"  # or "gpu"
    env: dict[str, str] = dataclasses.field(default_factory=dict)  # e.g. allocator settings
    # Alarm thresholds (alarms.Thresholds fields); empty: the defaults.
    alarms: dict[str, float] = dataclasses.field(default_factory=dict)
    # Instead of the model protocol, run this command as the session (`memtop run -- CMD`)...
    command: list[str] | None = None
    # ... or watch a process memtop did not start (`memtop attach PID`).
    attach_pid: int | None = None

    @property
    def kind(self) -> str:
        return "attach" if self.attach_pid else "run" if self.command else "bench"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
