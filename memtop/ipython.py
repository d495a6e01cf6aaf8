"""`%load_ext memtop`: the exact peak of notebook cells (Jupyter's ipykernel and the IPython shell).

- `%%memtop` above a cell, or `%memtop STATEMENT`: one line after it runs: its peak RSS above
  the RSS it started from, the peak itself and the RSS change; `memtop.stage` blocks inside it
  become a small stage table.
- `%memtop_report`: every measured cell of the session (number, first line, peak, change);
  `%memtop_report --save PATH` writes them as a memtop run file (`memtop show`, `diff`, the TUI).
The peak is the kernel's high-water mark, read and reset at the cell's edges by the one recorder
of memtop.markers, as `memtop.stage` does: a spike of a millisecond is in it, and nothing runs
between cells. What it measures is the kernel process's resident memory.
"""

from __future__ import annotations

import shlex
import time
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from memtop.engine.text import shown
from memtop.markers import measuring

MIB = 1024 * 1024


@magics_class
class MemtopMagics(Magics):
    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.recorder, self.kept = measuring()
        self.cells: list[dict[str, Any]] = []  # measured cells, in order
        self.started_wall = time.time()
        self._times_run: dict[int, int] = {}

    @line_cell_magic
    def memtop(self, line: str, cell: str | None = None) -> Any:
        """Runs the cell (or the line) and says its exact peak and RSS change."""
        code = cell if cell is not None else line
        count = self.shell.execution_count
        again = self._times_run.get(count, 0)  # its number again: a script, a cell in a loop
        self._times_run[count] = again + 1
        number = f"{count}.{again}" if again else str(count)
        if self.kept is not None:
            self.kept.events.clear()
        block = self.recorder.begin(f"cell {number}")
        try:
            result = self.shell.run_cell(code, store_history=False, silent=False)
        finally:
            event = self.recorder.end(block) or {}
        stages = self._stages_inside(event)
        first = next((text.strip() for text in code.splitlines() if text.strip()), "")
        measured = {"cell": number, "first_line": first[:200], "event": event,
                    "stages": stages}
        self.cells.append(measured)
        print(cell_line(measured))
        if stages:
            print(stage_table(stages))
        return None if result is None else result.result

    def _stages_inside(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The `memtop.stage` blocks and marks that ended inside the cell (kept here only where
        memtop is not running this kernel; under memtop they are the run's)."""
        if self.kept is None:
            return []
        return [e for e in self.kept.events if e.get("type") == "stage" and e is not event and
                e.get("block") != event.get("block")]

    @line_magic
    def memtop_report(self, line: str) -> None:
        """Every measured cell; `--save PATH` writes them as a memtop run file."""
        words = shlex.split(line)
        print(report_table(self.cells))
        if words[:1] == ["--save"] and len(words) == 2:
            try:
                save_cells(self.cells, words[1], self.started_wall)
            except FileExistsError:
                print(f"memtop: {shown(words[1])} exists already: give another name")
            except OSError as exc:
                print(f"memtop: cannot write {shown(words[1])}: {exc.strerror or exc}")
            else:
                print(f"memtop: saved {len(self.cells)} cells to {shown(words[1])} "
                      f"(memtop show {shown(words[1])})")
        elif words:
            print("memtop: %memtop_report [--save PATH]")


def _mib(value: Any) -> float | None:
    return value / MIB if isinstance(value, int | float) else None


def _fmt(value: float | None, spec: str = ",.1f") -> str:
    return "-" if value is None else format(value, spec)


def _figures(event: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(peak above the start, peak, RSS change) in MiB, of a cell's or a stage's event."""
    peak, start, end = (_mib(event.get(k)) for k in ("peak", "rss_start", "rss"))
    rise = None if peak is None or start is None else peak - start
    change = None if end is None or start is None else end - start
    return rise, peak, change


def cell_line(measured: dict[str, Any]) -> str:
    event = measured["event"]
    rise, peak, change = _figures(event)
    exact = "" if event.get("peak_exact", True) else " (not exact: the kernel refused a reset)"
    return (f"memtop: cell {measured['cell']}: peak +{_fmt(rise)} MiB above its start "
            f"({_fmt(peak)} MiB), RSS change {_fmt(change, '+,.1f')} MiB{exact}")


def stage_table(stages: list[dict[str, Any]]) -> str:
    lines = [f"  {'stage':<30} {'peak rise MiB':>14} {'RSS change MiB':>15}"]
    for stage in stages:
        rise, _, change = _figures(stage)
        lines.append(f"  {shown(stage.get('name'), 30):<30} {_fmt(rise):>14} "
                     f"{_fmt(change, '+,.1f'):>15}")
    return "\n".join(lines)


def report_table(cells: list[dict[str, Any]]) -> str:
    lines = [f"{'cell':>5} {'peak rise MiB':>14} {'peak MiB':>10} {'RSS change MiB':>15}  "
             "first line"]
    for measured in cells:
        rise, peak, change = _figures(measured["event"])
        lines.append(f"{measured['cell']:>5} {_fmt(rise):>14} {_fmt(peak):>10} "
                     f"{_fmt(change, '+,.1f'):>15}  {shown(measured['first_line'], 60)}")
    return "\n".join(lines)


def save_cells(cells: list[dict[str, Any]], path: str, started_wall: float) -> None:
    """The cells as a run file of a program (`notebook`): a stage per cell, the stages inside
    it nested under it, and RSS at each cell's edges as its readings."""
    import os

    from memtop.engine.store import RunWriter

    run_id = os.path.splitext(os.path.basename(path))[0]
    events = [e for m in cells for e in (m["event"], *m["stages"]) if e]
    starts = [e["t_start"] for e in events if "t_start" in e]
    t_start = min(starts) if starts else time.monotonic()
    writer = RunWriter(path, {"run_id": run_id, "kind": "run", "backend": "",
                              "model": "notebook", "command": ["ipython", "%%memtop cells"],
                              "t_start": t_start, "started_wall": started_wall,
                              "status": "running"})
    readings = sorted({(e["t_start"], e["rss_start"]) for e in events if "t_start" in e} |
                      {(e["t_end"], e["rss"]) for e in events})
    writer.add_samples(readings)
    for i, event in enumerate(sorted(events, key=lambda e: e["t_end"]), 1):
        writer.add_stage(i, {k: v for k, v in event.items() if k != "type"})
    end = max((e["t_end"] for e in events), default=t_start)
    meta = {"status": "done", "cause": "completed", "t_end": end, "ended_wall": time.time()}
    writer.finish(meta, (end, "end", "info", "done: completed"))


def load(shell: Any) -> None:
    shell.register_magics(MemtopMagics)
