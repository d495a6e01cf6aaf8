"""The home screen's form for a new benchmark: backends, model, weights, isolation; Start asks
the app for it (`StartBench`, met in a worker: tui/opening.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from memtop.engine.backends import installed_backends

from ..messages import StartBench


class BenchForm(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("esc: back to the runs · tab: next field", classes="form-hint")
        with Horizontal():
            with Vertical():
                yield Label("Backends (comma-separated)", classes="form-label")
                yield Input(",".join(installed_backends()), id="bench-backends",
                            placeholder="tensorflow,torch,jax,openvino")
            with Vertical():
                yield Label("Model: a keras-hub preset or a preset folder", classes="form-label")
                yield Input("gpt2_medium_en", id="bench-model",
                            placeholder="preset name or directory")
        with Horizontal():
            with Vertical():
                yield Label("Weights", classes="form-label")
                yield Select([(w, w) for w in ("auto", "random", "preset")],
                             value="auto", allow_blank=False, id="bench-weights")
            yield Checkbox("isolate (keep other frameworks out)", id="bench-isolate")
            yield Button("Start", id="bench-start", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "bench-start":
            return
        event.stop()
        self.post_message(StartBench(
            backends=self.query_one("#bench-backends", Input).value,
            model=self.query_one("#bench-model", Input).value.strip(),
            weights=str(self.query_one("#bench-weights", Select).value),
            isolate=self.query_one("#bench-isolate", Checkbox).value))
