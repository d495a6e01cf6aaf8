"""What one run is asked to do: sent from the client to the engine, and into the session.

Also the names that the engine and a session agree on (environment variables, exit codes), so
that neither has to import the other.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shlex
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .values import is_flag, is_number, is_whole

STAGES = ("initial", "model_loaded", "before_inference", "first_inference",
          "second_inference", "final")
TRAINING_STAGES = ("initial", "model_loaded", "before_training", "first_step", "training",
                   "final")
LEAK_STAGE = "leak_iterations"  # between second_inference and final, with --leak-iterations
# What a protocol session is doing, by the last stage it finished (None: none yet). A stage is
# the interval that ends at its boundary, so this names the stage in progress.
PROTOCOL_ACTIVITY = {
    None: "starting: importing the backend", "initial": "loading the model",
    "model_loaded": "preparing inputs", "before_inference": "first inference (compiling)",
    "first_inference": "second inference", "second_inference": "finishing",
    LEAK_STAGE: "finishing", "before_training": "first training step (compiling)",
    "first_step": "training steps", "training": "finishing", "final": "ending"}
WEIGHTS = ("auto", "preset", "random")

# How the engine hands a session its spec and its event descriptor.
SPEC_ENV = "MEMTOP_SPEC"
EVENT_FD_ENV = "MEMTOP_EVENT_FD"
# The pipe's inode: a descendant where that descriptor number was closed and reused (a socket
# of torch's gloo, say) must not write events into it.
EVENT_PIPE_ENV = "MEMTOP_EVENT_PIPE"
TRIM_ENV = "MEMTOP_TRIM"  # "1": the stage recorder trims glibc's heap at each cut (--trim)
# --allocations: the memray capture file a session tracks its allocations into.
ALLOCATIONS_ENV = "MEMTOP_ALLOCATIONS"
CAPTURE_SUFFIX = ".memray"  # beside the run file: memray flamegraph RUN.memray works on it
RUN_ENV = "MEMTOP_RUN"  # the run id, so that the program's descendants can be found at its end
EXIT_USER_ERROR = 2  # a session's exit code after bad input (an unknown preset)


def new_id() -> str:
    return secrets.token_hex(4)


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
    # RSS sampling interval; None: 100 ms where each reading is its interval's maximum, else 5
    interval_ms: float | None = None
    # Never reset the program's high-water mark from outside (a program that reads its own
    # VmHWM): readings are point samples; stage peaks stay exact.
    point_samples: bool = False
    runs_dir: str = "runs"
    label: str = ""
    mode: str = "inference"  # or "training": a few fit steps on random tokens
    batch_size: int = 1  # prompts per generate call (training: sequences per step)
    # A keras-hub preset's task (catalog.TASKS; auto: what the preset says).
    task: str = "auto"
    # Tokens per sequence where a model's inputs leave the length open (predict, training).
    sequence_length: int = 128
    # `memtop fit`: run in a memory cgroup limited to this many bytes, where allowed (0: none).
    memory_limit: int = 0
    leak_iterations: int = 0  # generate calls repeated after the protocol, for a leak slope
    trim: bool = False  # malloc_trim(0) at each stage cut, recording how much RSS came back
    allocations: bool = False  # track allocation sites with memray (a real slowdown)
    training_steps: int = 4
    device: str = "cpu"  # or "gpu"
    env: dict[str, str] = dataclasses.field(default_factory=dict)  # e.g. allocator settings
    # Alarm thresholds (analysis.alarms.Thresholds fields); empty: the defaults.
    alarms: dict[str, float] = dataclasses.field(default_factory=dict)
    # Instead of the model protocol, run this command as the session (`memtop run -- CMD`)...
    command: list[str] | None = None
    # ... or watch a process memtop did not start (`memtop attach PID`).
    attach_pid: int | None = None
    # Bytes of the session's output kept in the run file (the rest is passed on, not stored).
    max_output: int = 512 * 1024 * 1024
    # `memtop run --stages-from-output`: output lines that match are stage boundaries.
    stage_pattern: str | None = None
    # `memtop run --no-tui`: the program reads the user's terminal (the client passes it on).
    pass_stdin: bool = False
    # Names this run in `queued`, `started` and `finished` messages (never by position).
    id: str = dataclasses.field(default_factory=new_id)
    # The submission it belongs to: the runs of one `memtop bench` share it (set by the engine).
    bench: str = ""
    # Where a cluster placed it (`memtop bench --cluster`): Ray node id, node IP and host,
    # accelerator. Set by the driver for the node; the run file's meta keeps it as `cluster`.
    origin: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def kind(self) -> str:
        return kind_of(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# A spec's numbers, bounded as the command line bounds them (memtop/cli/values.py).
_SPEC_RANGES = {"interval_ms": (0.5, 60_000.0), "max_length": (1, 1 << 20),
                "batch_size": (1, 1 << 20), "sequence_length": (1, 1 << 24),
                "memory_limit": (0, 1 << 62), "leak_iterations": (0, 1 << 20),
                "training_steps": (0, 1 << 24), "max_output": (0, 1 << 62),
                "attach_pid": (1, 1 << 22)}
_SPEC_HINTS = typing.get_type_hints(RunSpec)


def spec_problem(data: Any) -> str | None:
    """Why `data` is not a RunSpec as a map, or None: every field of its type and in range."""
    if not isinstance(data, dict):
        return "not a map"
    if not isinstance(data.get("backend"), str):
        return "no backend"
    for field in dataclasses.fields(RunSpec):
        if field.name not in data:
            continue
        value = data[field.name]
        if not _spec_type(value, _SPEC_HINTS[field.name]):
            hint = _SPEC_HINTS[field.name]
            return f"'{field.name}' is not a {getattr(hint, '__name__', None) or hint}"
        low, high = _SPEC_RANGES.get(field.name, (None, None))
        if low is not None and value is not None and not low <= value <= high:
            return f"'{field.name}' is outside {low}..{high}"
    return None


def _spec_type(value: Any, hint: Any) -> bool:
    """`value` is of the spec field type `hint` (the few types a RunSpec uses)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_spec_type(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return is_flag(value)
    if hint is int:
        return is_whole(value)
    if hint is float:
        return is_number(value)
    if hint is str:  # as long as the message allows (a `python -c` program can be long)
        return isinstance(value, str) and "\0" not in value
    if origin is list:
        return isinstance(value, list) and all(_spec_type(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and len(value) <= 256 and all(
            _spec_type(k, args[0]) and _spec_type(v, args[1]) for k, v in value.items())
    return False


def run_title(backend: str, model: str, kind: str) -> str:
    """What a run is called in lists: its backend, or for other programs its kind and name."""
    return backend if kind == "bench" else f"{kind}: {model}"


def command_text(meta: Mapping[str, Any], limit: int = 80) -> str:
    """A program's run as its command line (`python train.py --epochs 3`: absolute paths by
    their file name), cut to `limit`; an attached process by its pid. The whole command is in
    the run's details."""
    command = meta.get("command")
    if not isinstance(command, list) or not command:
        return f"pid {meta.get('pid')}" if meta.get("pid") else "?"
    # Paths by their file name: `python /home/me/exp/train.py` reads `python train.py`.
    words = [os.path.basename(w) if w.startswith("/") else w for w in map(str, command)]
    text = shlex.join(words)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def node_label(meta: dict[str, Any]) -> str:
    """Where a cluster ran a run, short: its node's host and the start of its Ray node id
    (two nodes may share a host); "" for a run of this machine."""
    where = meta.get("cluster")
    if not isinstance(where, dict):
        return ""
    return f"{where.get('node_host') or '?'}:{str(where.get('ray_node_id') or '')[:6]}"


def is_program(meta: Mapping[str, Any]) -> bool:
    """A run of a command or an attached process (not a benchmark): named by its command."""
    return meta.get("kind") in ("run", "attach")


def kind_of(spec: dict[str, Any]) -> str:
    """bench (a model protocol), run (a command) or attach (a process memtop did not start)."""
    return "attach" if spec.get("attach_pid") else "run" if spec.get("command") else "bench"
