"""`memtop show` and `memtop diff` outside the terminal: Markdown, CSV and JSON.

The columns are defined once (columns.py) and shared by the Rich tables, the Markdown tables, the
CSV and the TUI, so they always agree. JSON follows docs/schemas/*.schema.json.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

from ..analysis.diff import compare_settings, compare_stages, compare_summary, setting_text
from ..analysis.stage_fold import fold_rows
from ..analysis.stage_rows import stage_rows, table_rows
from ..events import RULES, is_marker
from ..store.reader import Run
from ..text import shown
from ..units import fmt, mib
from .columns import (
    COMPARE_METRICS,
    STAGE_COLUMNS,
    SUMMARY_LABELS,
    cell,
    compare_cells,
    compare_headers,
    compare_name,
    letter,
    stage_name,
    summary_lines,
    summary_spec,
)
from .run_names import run_labels, run_title_of


def _markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]],
                    numeric_from: int = 1) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(_md(c) for c in cells) + " |"

    rule = ["---" if i < numeric_from else "---:" for i in range(len(headers))]
    return "\n".join([line(headers), line(rule), *(line(r) for r in rows)])


_URL = re.compile(r"(?i)\b(https?|ftp|file|mailto)(:)|\b(www)(\.)")


def _md(value: object) -> str:
    """Data inside Markdown (GitHub's too: docs/ci.md writes it to a job summary): shown
    (engine/text.py), with what Markdown would act on made plain text: links, HTML and its
    character references, code, emphasis, strikethrough, table cells, @mentions and the bare
    URLs GitHub turns into links. Underscores stay (stage names: in words they do nothing)."""
    text = shown(value).replace("\\", "\\\\").replace("&", "&amp;")
    for special in "`[]<>|*~":
        text = text.replace(special, "\\" + special)
    text = text.replace("@", "&#64;")
    return _URL.sub(lambda m: f"{m.group(1) or m.group(3)}\\{m.group(2) or m.group(4)}", text)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv(value: Any) -> Any:
    """A CSV cell: data shown (engine/text.py), and a text that a spreadsheet would run as a
    formula (`=HYPERLINK(…)`) kept as text by a leading apostrophe."""
    if not isinstance(value, str):
        return _raw(value)
    text = shown(value)  # tabs and line ends are spaces by now; some sheets skip spaces
    return "'" + text if text.lstrip().startswith(_FORMULA_START) else text


def show_markdown(runs: Sequence[Run], unfold: bool = False) -> str:
    out = []
    for run in runs:
        out.append(f"### {_md(run_title_of(run.meta))}\n\n{_md(run.run_id)} · "
                   f"{_md(run.meta.get('status'))}: {_md(run.meta.get('cause', ''))}\n")
        stage_list = table_rows(run.stages) if unfold else fold_rows(table_rows(run.stages))
        rows = [[cell(r, key, spec) for _, key, spec in STAGE_COLUMNS] for r in stage_list]
        out.append(_markdown_table([h for h, _, _ in STAGE_COLUMNS], rows) + "\n")
        summary = run.summary()
        lines = [[label, fmt(summary.get(key), spec)]
                 for key, label, spec in summary_lines(summary)]
        lines.append(["Health", summary.get("health") or "-"])
        out.append(_markdown_table(["Summary", ""], lines) + "\n")
    return "\n".join(out)


def show_csv(runs: Sequence[Run]) -> str:
    buffer = io.StringIO()
    keys = [key for _, key, _ in STAGE_COLUMNS]
    writer = csv.writer(buffer)
    # The stage's place in the tree comes last: scripts read the first columns by position.
    writer.writerow(["run_id", "backend", "model", *keys, "peak_mb", "peak_exact", *TREE_KEYS])
    for run in runs:
        for row in stage_rows(run.stages):
            writer.writerow([_csv(v) for v in (
                run.run_id, run.meta.get("backend", ""), run.meta.get("model", ""),
                *(row.get(k) for k in keys), row["peak_mb"], row["peak_exact"],
                *(row.get(k) for k in TREE_KEYS))])
    return buffer.getvalue()


TREE_KEYS = ("key", "path", "occurrence", "parent", "depth")
# A stored stage's fields that memtop writes itself (events.RULES and what the engine adds).
MEMTOP_STAGE_FIELDS = {*RULES["stage"][0], *RULES["stage"][1], "type", "manual", "path",
                       "trail", "sampled_peak", "error", "allocator", "processes"}


def _raw(value: Any) -> Any:
    return "" if value is None else value


def diff_json(runs: Sequence[Run], baseline: int = 0, fold: bool = False) -> dict[str, Any]:
    """Every occurrence of every stage (`fold`: a row per stage path, as the tables show)."""
    def who(run: Run) -> dict[str, Any]:
        meta = run.meta
        return {"run_id": run.run_id, "path": run.path, "title": run_title_of(meta),
                "started": meta.get("started_wall"), "backend": meta.get("backend"),
                "model": meta.get("model"), "weights": meta.get("weights"),
                "label": meta.get("label", ""), "status": meta.get("status")}

    return {"runs": [who(run) for run in runs], "baseline": baseline,
            "settings": compare_settings([run.meta for run in runs]),
            "stages": compare_stages([run.stages for run in runs], baseline, fold=fold),
            "summary": compare_summary([run.summary() for run in runs], baseline)}


def diff_markdown(runs: Sequence[Run], baseline: int = 0, unfold: bool = False) -> str:
    data = diff_json(runs, baseline, fold=not unfold)
    headers = compare_headers([compare_name(r.meta.get("backend"), r.meta.get("model"))
                               for r in runs], baseline)
    labels = run_labels([run.meta for run in runs], [run.run_id for run in runs])
    out = ["  \n".join(f"**{letter(i)}**: {_md(label)}" for i, label in enumerate(labels)) +
           f"  \nΔ = each run - {letter(baseline)}\n"]
    settings = [[row["key"], *map(setting_text, row["values"])] for row in data["settings"]]
    out.append((_markdown_table(["Setting", *(letter(i) for i in range(len(runs)))], settings,
                                numeric_from=len(runs) + 1) + "\n")
               if settings else "Same settings.\n")
    for title, key, spec in COMPARE_METRICS:
        rows = [[stage_name(row), *compare_cells(row[key], row[f"d_{key}"], spec, baseline)]
                for row in data["stages"]]
        out.append(f"{title}\n\n" + _markdown_table(["Stage", *headers], rows) + "\n")
    summary = [[SUMMARY_LABELS.get(row["key"], row["key"]),
                *compare_cells(row["values"], row["deltas"], summary_spec(row["key"]), baseline)]
               for row in data["summary"]]
    out.append(_markdown_table(["Summary", *headers], summary) + "\n")
    return "\n".join(out)


def diff_csv(runs: Sequence[Run]) -> str:
    """One row per stage and run (long form: easy to pivot or plot)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    keys = ("rss_mb", "swap_mb", "peak_mb", "duration_s")
    writer.writerow(["side", "run_id", "backend", "model", "stage", *keys, *TREE_KEYS])
    for i, run in enumerate(runs):
        for row in stage_rows(run.stages):
            writer.writerow([_csv(v) for v in (
                letter(i), run.run_id, run.meta.get("backend", ""), run.meta.get("model", ""),
                row["name"], *(row.get(k) for k in keys), *(row.get(k) for k in TREE_KEYS))])
    return buffer.getvalue()


def show_json(runs: Sequence[Run]) -> Any:
    data = [run_json(r) for r in runs]
    return data[0] if len(data) == 1 else data


def run_json(run: Run) -> dict[str, Any]:
    meta = run.meta
    spec = run.spec
    stages = [{**row, "name": s["name"], "t": s["t"], "t_start": s.get("t_start"),
               "latency_s": s.get("latency"),
               "tokens_generated": s.get("tokens_generated"), "samples": s.get("samples"),
               "batch_size": s.get("batch_size"),
               "allocator": s.get("allocator"), "processes": s.get("processes"),
              "values": stage_values(s)}
              for row, s in zip(stage_rows(run.stages), run.stages, strict=True)]
    return {
        "run_id": run.run_id, "path": run.path, "backend": meta.get("backend"),
        "model": meta.get("model"), "weights": meta.get("weights"),
        "weights_note": meta.get("weights_note"), "status": meta.get("status"),
        "cause": meta.get("cause"), "label": meta.get("label", ""),
        "foreign_frameworks": meta.get("foreign_frameworks", []),
        "isolated": bool(run.spec.get("isolate")),
        "started": meta.get("started_wall"), "versions": meta.get("versions", {}),
        "devices": meta.get("devices", []), "host": meta.get("host") or meta.get("engine_host"),
        "cluster": meta.get("cluster"), "cpu": meta.get("cpu"),
        "python": meta.get("python"), "mem_total": meta.get("mem_total"),
        "parameters": meta.get("parameters"), "interval_ms": meta.get("interval_ms"),
        "readings": meta.get("readings"),
        "task": meta.get("task"), "inputs": meta.get("inputs"), "kind": meta.get("kind"),
        "fit": meta.get("fit"), "memory_limit": meta.get("memory_limit"),
        "stages": stages, "summary": run.summary(),
        "mode": spec.get("mode", "inference"), "batch_size": spec.get("batch_size", 1),
        "max_length": spec.get("max_length"), "sequence_length": spec.get("sequence_length"),
        "dtype": spec.get("dtype"), "device": spec.get("device", "cpu"), "gpu": meta.get("gpu"),
        "allocator_settings": meta.get("allocator_settings", {}),
        "statistics": run.statistics(), "leak": meta.get("leak"),
        "processes": meta.get("workers") or [],
        "markers": markers_json(run),
    }


def stage_values(stage: dict[str, Any]) -> dict[str, Any]:
    """What the program (or the protocol) stored with a stage besides memtop's own figures:
    `memtop.stage(name, epoch=3)`, `mark(name, loss=0.2)`, a protocol stage's latency."""
    return {key: value for key, value in stage.items()
            if key not in MEMTOP_STAGE_FIELDS and not key.startswith(("groups", "heap_"))
            and isinstance(value, int | float | str) and not isinstance(value, bool)}


def markers_json(run: Run) -> list[dict[str, Any]]:
    """The instants marked from outside (`m`, output lines while the program marks its own
    stages): never stages (docs/metrics.md)."""
    return [{"name": data["name"], "t": data["t"], "at_s": data["t"] - run.start,
             "rss_mb": mib(data["rss"]), "swap_mb": mib(data["swap"])}
            for data in (e.get("data") for e in run.events if e["kind"] == "marker")
            if is_marker(data)]
