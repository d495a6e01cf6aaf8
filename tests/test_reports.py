"""show/diff formats, the Perfetto export and `memtop check`, on the recorded fixture runs."""

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from memtop.engine.report.bench_tables import comparison_rows_table
from memtop.engine.report.columns import STAGE_COLUMNS
from memtop.engine.report.comparison import comparison_row
from memtop.engine.report.run_names import row_names
from memtop.engine.spec import STAGES
from memtop.engine.store import read_run

from conftest import memtop_here, run_memtop, write_run
from tui_support import FIXTURES, SWAP_RUN, run_path

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"
RUNS = ["--runs-dir", str(FIXTURES)]


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def memtop_ok(*args: str) -> str:
    result = memtop_here(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


# ---- show and diff formats ---------------------------------------------------------------

@pytest.mark.parametrize("backend", ["tensorflow", "torch", "jax", "openvino"])
def test_show_json_validates_against_the_documented_schema(backend):
    data = json.loads(memtop_ok("show", run_path(backend), "--format", "json"))
    jsonschema.validate(data, schema("run.schema.json"))
    assert [s["name"] for s in data["stages"]] == list(STAGES)


def test_show_json_of_several_runs_is_a_list_of_valid_runs():
    data = json.loads(memtop_ok("show", run_path("torch"), str(SWAP_RUN), "--format", "json"))
    assert len(data) == 2
    for run in data:
        jsonschema.validate(run, schema("run.schema.json"))


def test_markdown_has_the_same_columns_as_the_table():
    markdown = memtop_ok("show", run_path("jax"), "--format", "markdown")
    table = memtop_ok("show", run_path("jax"), "--format", "table")
    header = next(line for line in markdown.splitlines() if line.startswith("| Stage"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns == [h for h, _, _ in STAGE_COLUMNS]
    for column in columns:  # the Rich table may wrap a header, never drop it
        assert all(word in table for word in column.split())
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and
            line.split("|")[1].strip() in STAGES]
    assert len(rows) == len(STAGES)


def test_show_csv_has_a_row_per_stage():
    text = memtop_ok("show", run_path("openvino"), run_path("torch"), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 * len(STAGES)
    assert rows[3]["name"] == "first_inference" and rows[3]["backend"] == "openvino"
    assert float(rows[3]["rss_mb"]) > 4000  # OpenVINO after compiling


def test_diff_formats():
    a, b = run_path("torch"), run_path("openvino")
    data = json.loads(memtop_ok("diff", a, b, "--format", "json"))
    jsonschema.validate(data, schema("diff.schema.json"))
    first = next(r for r in data["stages"] if r["name"] == "first_inference")
    assert first["d_rss_mb"][0] is None  # the baseline, A
    assert first["d_rss_mb"][1] == pytest.approx(first["rss_mb"][1] - first["rss_mb"][0])
    assert first["d_rss_mb"][1] > 1000
    assert [r["run_id"] for r in data["runs"]] == [Path(a).stem, Path(b).stem]
    rows = list(csv.DictReader(io.StringIO(memtop_ok("diff", a, b, "--format", "csv"))))
    assert len(rows) == 2 * len(STAGES) and {r["side"] for r in rows} == {"A", "B"}
    markdown = memtop_ok("diff", a, b, "--format", "markdown")
    assert "| first_inference |" in markdown and "+1,649.9" in markdown
    assert "first_inference" in memtop_ok("diff", a, b, "--format", "table")


# ---- Perfetto ------------------------------------------------------------------------------

def test_perfetto_export_structure(tmp_path):
    out = tmp_path / "trace.json"
    run_memtop("export", str(SWAP_RUN), "--format", "perfetto", "-o", str(out))
    trace = json.loads(out.read_text())
    events = trace["traceEvents"]
    assert {e["ph"] for e in events} >= {"M", "C", "X", "i"}
    assert all(isinstance(e["pid"], int) and isinstance(e["tid"], int) for e in events)
    run = read_run(str(SWAP_RUN))
    counters = [e for e in events if e["ph"] == "C"]
    by_series = {}
    for event in counters:
        by_series.setdefault(event["name"], []).append(event)
        assert isinstance(event["ts"], int | float) and event["ts"] >= 0
    assert len(by_series["RSS"]) == len(run.samples())
    assert len(by_series["swap"]) == len(run.proc())
    assert max(e["args"]["MiB"] for e in by_series["swap"]) == pytest.approx(1500, abs=1)
    spans = [e for e in events if e["ph"] == "X"]
    whole = next(e for e in spans if e["cat"] == "run")
    stages = [e for e in spans if e["cat"] == "stage"]
    assert [e["name"] for e in stages] == list(STAGES)
    for stage in stages:  # nested inside the run, in microseconds
        assert whole["ts"] <= stage["ts"] and stage["ts"] + stage["dur"] <= whole["dur"] + 1
    total_s = run.stages[-1]["t"] - run.meta["t_start"]
    assert stages[-1]["ts"] + stages[-1]["dur"] == pytest.approx(total_s * 1e6, rel=1e-6)
    names = {e["name"] for e in events if e["ph"] == "M"}
    assert names == {"process_name", "thread_name"}
    assert any(e["ph"] == "i" and e["name"].startswith("end") for e in events)


def test_samples_csv_export(tmp_path):
    out = tmp_path / "samples.csv"
    memtop_here("export", run_path("jax"), "--format", "csv", "-o", str(out))
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(read_run(run_path("jax")).samples())
    assert float(rows[-1]["t_s"]) > float(rows[0]["t_s"]) and int(rows[0]["rss_bytes"]) > 0


# ---- memtop check --------------------------------------------------------------------------

def check(*args: str):
    return memtop_here("check", *args)


def test_check_passes_within_budget():
    result = check(run_path("torch"), "--max-peak", "4GiB", "--max-stage-peak",
                   "first_inference=3GiB", "--max-swap", "0")
    assert result.returncode == 0 and "within budget" in result.stdout


@pytest.mark.parametrize(("args", "breach"), [
    (["--max-peak", "2GiB"], "peak"),
    (["--max-stage-peak", "model_loaded=2GiB"], "model_loaded peak"),
    (["--max-swap", "1GiB"], "swap"),
])
def test_each_budget_kind_is_caught(args, breach):
    result = check(str(SWAP_RUN), *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert breach in result.stdout and "over budget" in result.stdout


def test_decimal_and_binary_sizes_differ():
    # The peak is 2,478.7 MiB = 2.599 GB (decimal) = 2.4206 GiB (binary).
    assert check(str(SWAP_RUN), "--max-peak", "2.6GB").returncode == 0
    assert check(str(SWAP_RUN), "--max-peak", "2.42GiB").returncode == 1


def test_a_leak_budget_needs_and_checks_a_leak_measurement(tmp_path):
    leaky = tmp_path / "leaky.db"
    write_run(leaky, "leaky", meta={"leak": {"slope_mb_per_iter": 3.0}})
    result = check(str(leaky), "--max-leak", "1MiB/iter")
    assert result.returncode == 1 and "leak per iteration" in result.stdout
    assert check(str(leaky), "--max-leak", "4MiB/iter").returncode == 0
    no_leak = check(run_path("torch"), "--max-leak", "1MiB/iter")
    assert no_leak.returncode == 2 and "--leak-iterations" in no_leak.stderr


def test_a_regression_against_a_baseline_is_caught():
    result = check(run_path("openvino"), "--baseline", run_path("torch"),
                   "--max-regression", "5%")
    assert result.returncode == 1 and "vs baseline" in result.stdout
    same = check(run_path("torch"), "--baseline", run_path("torch"), "--max-regression", "0%")
    assert same.returncode == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--max-stage-peak", "nope=1GiB"], "no stage 'nope'"),
    (["--max-peak", "4XB"], "not a size"),
    (["--max-stage-peak", "first_inference"], "STAGE=SIZE"),
    (["--max-regression", "5%"], "needs --baseline"),
    (["--baseline", "latest"], "needs --max-regression"),
    ([], "needs a budget"),
])
def test_bad_check_input_is_exit_2(args, message):
    result = check(run_path("torch"), *args, *RUNS)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_perfetto_export_of_each_seconds_extremes_keeps_the_peak(tmp_path):
    """`--resolution 1s` writes the readings that hold each second's peaks: a tenth of
    the counters of 200 Hz samples, the same peak; `auto` keeps all of a short run."""
    from memtop.engine.store import RunWriter

    path = tmp_path / "ten-minutes.db"
    writer = RunWriter(str(path), {"run_id": "ten-minutes", "t_start": 0.0, "kind": "run"})
    rows = [(round(0.005 * (i + 1), 6), (100 + i % 13) * 1048576) for i in range(120_000)]
    rows[77_777] = (rows[77_777][0], 900 * 1048576)  # one sample's spike
    for i in range(0, len(rows), 20_000):
        writer.add_samples(rows[i:i + 20_000])
        writer.commit()
    writer.finish({"status": "done", "t_end": rows[-1][0]}, (rows[-1][0], "end", "info", "x"))

    def rss_counters(*args: str) -> tuple[list[float], dict]:
        out = tmp_path / "trace.json"
        result = memtop_here("export", str(path), "-o", str(out), *args)
        assert result.returncode == 0, result.stderr
        trace = json.loads(out.read_text())
        return [e["args"]["MiB"] for e in trace["traceEvents"]
                if e["ph"] == "C" and e["name"] == "RSS"], trace["metadata"]

    every, meta = rss_counters()
    assert len(every) == len(rows) and meta["readings"] == "all"
    seconds, meta = rss_counters("--resolution", "1s")
    assert meta["readings"] == "each second's peaks"
    assert len(seconds) <= 2 * 600 + 20 and max(seconds) == max(every) == 900


def test_a_run_that_ended_early_is_never_the_best_and_has_no_health_class():
    rows = [comparison_row(name, "random", {"peak_mb": peak, "health": "good"}, None, [])
            for name, peak in (("torch", 1200.0), ("jax", 1000.0), ("openvino", 600.0))]
    table = comparison_rows_table(rows, ["done", "done", "killed"])
    peak, health = table.keys.index("peak_mb"), table.keys.index("health")
    assert [row[peak].style for row in table.rows] == ["", "bold", ""]  # not the killed 600
    assert [row[health].plain for row in table.rows] == ["good", "good", "-"]


def test_runs_side_by_side_are_named_by_what_sets_them_apart_live_or_printed():
    metas = [{"backend": "torch", "model": "gpt2_tiny", "spec": {"batch_size": 8}},
             {"backend": "torch", "model": "gpt2_tiny", "spec": {"dtype": "bfloat16"},
              "cluster": {"node_host": "gpu-a", "ray_node_id": "1ecca5ff"}},
             {}]  # live: not started yet, so named by the dashboard's own title
    assert row_names(metas, ["r1", "r2", "torch"]) == ["torch b8", "torch bfloat16 @gpu-a:1ecca5",
                                                       "torch"]
