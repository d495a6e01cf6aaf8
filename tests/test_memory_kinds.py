"""RSS by kind per stage (issue #17): a stage that maps a weights file grows file-backed memory,
one that allocates grows anonymous memory, each by what the program did (within 1%); `show`,
its JSON and `diff` carry both. A real program under `memtop run`, real /proc readings."""

import sys

import pytest

from conftest import HELPERS, run_memtop, show_json


@pytest.fixture(scope="module")
def kinds_run(tmp_path_factory) -> tuple:
    runs_dir = tmp_path_factory.mktemp("runs")
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--", sys.executable,
                        str(HELPERS / "weights_and_heap.py"), str(runs_dir.parent))
    assert result.returncode == 0, result.stderr[-2000:]
    return runs_dir, show_json(runs_dir)


def test_a_mapped_file_reads_as_file_backed_and_a_heap_block_as_anonymous(kinds_run):
    _, run = kinds_run
    stages = {s["name"]: s for s in run["stages"]}
    weights, heap = stages["load_weights"], stages["allocate"]
    assert weights["file_change_mb"] == pytest.approx(200, rel=0.01)
    assert abs(weights["anon_change_mb"]) < 2
    assert heap["anon_change_mb"] == pytest.approx(300, rel=0.01)
    assert abs(heap["file_change_mb"]) < 2
    for stage in (weights, heap):  # the kinds add up to the RSS change
        kinds = stage["anon_change_mb"] + stage["file_change_mb"] + stage["shmem_change_mb"]
        assert kinds == pytest.approx(stage["rss_change_mb"], abs=0.5)


def test_tables_and_diff_show_the_kinds(kinds_run):
    runs_dir, run = kinds_run
    table = run_memtop("show", run["run_id"], "--runs-dir", str(runs_dir))
    assert "Anon change" in table.stdout and "File change" in table.stdout
    assert "+200." in table.stdout and "+300." in table.stdout
    diff = run_memtop("diff", run["run_id"], run["run_id"], "--format", "markdown",
                      "--runs-dir", str(runs_dir))
    assert diff.returncode == 0, diff.stderr
    assert "Anonymous change (MiB)" in diff.stdout and "File-backed change (MiB)" in diff.stdout


def test_runs_recorded_before_the_kinds_show_dashes(runs_dir):
    from conftest import write_run

    write_run(runs_dir / "old.db", run_id="old")
    result = run_memtop("show", "old", "--format", "json", "--runs-dir", str(runs_dir))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    old = show_json(runs_dir, "old")
    assert all(s["anon_change_mb"] is None for s in old["stages"])


def test_the_mapping_groups_name_the_weights_file_and_the_heap_block(kinds_run):
    runs_dir, run = kinds_run
    stages = {s["name"]: s for s in run["stages"]}
    weights = stages["load_weights"]["groups_change_mb"]
    heap = stages["allocate"]["groups_change_mb"]
    assert next(iter(weights)) == "weights.bin"  # the largest change of its stage
    assert weights["weights.bin"] == pytest.approx(200, rel=0.01)
    assert next(iter(heap)) == "anonymous ≥ 64 MiB"
    assert heap["anonymous ≥ 64 MiB"] == pytest.approx(300, rel=0.01)
    table = run_memtop("show", run["run_id"], "--runs-dir", str(runs_dir))
    assert "where each stage's memory went" in table.stdout
    assert "weights.bin +200." in table.stdout


def test_a_crafted_mapping_name_is_shown_as_data(runs_dir):
    """Group names are the measured program's file names: shown, never sent to the terminal;
    a group table that is not a bounded map of names to sizes makes the file damaged."""
    from untrusted_files import HOSTILE

    from memtop.engine.store import RunWriter

    from conftest import MIB, stage

    writer = RunWriter(str(runs_dir / "crafted.db"), {"run_id": "crafted", "status": "running"})
    writer.add_samples([(1.0 + i / 10, 100 * MIB) for i in range(10)])
    writer.add_stage(1, stage("initial", 1.0, 100, 100, groups={}))
    writer.add_stage(2, stage("load", 1.5, 400, 400, groups={HOSTILE: 300 * MIB}))
    writer.set_meta({"status": "done"})
    writer.close()
    for args in (("show", "crafted"), ("diff", "crafted", "crafted", "--format", "markdown")):
        result = run_memtop(*args, "--runs-dir", str(runs_dir))
        assert result.returncode == 0, result.stderr
        assert "\x1b]" not in result.stdout and "Traceback" not in result.stderr
    assert "+300.0" in run_memtop("show", "crafted", "--runs-dir", str(runs_dir)).stdout

    writer = RunWriter(str(runs_dir / "bad.db"), {"run_id": "bad", "status": "running"})
    writer.add_stage(1, stage("initial", 1.0, 100, 100, groups={"x": "lots"}))
    writer.set_meta({"status": "done"})
    writer.close()
    result = run_memtop("show", "bad", "--runs-dir", str(runs_dir))
    assert result.returncode == 2 and "damaged" in result.stderr


async def test_the_detail_screen_says_where_the_largest_stage_went(kinds_run):
    from memtop.engine.store import list_run_files, read_run

    from tui_support import open_detail, replay_app

    runs_dir, _ = kinds_run
    app = replay_app([read_run(p) for p in list_run_files(str(runs_dir))])
    async with app.run_test(size=(100, 40)) as pilot:
        await open_detail(pilot, app)
        where = str(app.screen.query_one("#where").render())
    assert where.startswith("allocate +300.")  # the stage that grew most, highlighted first
    assert "anonymous ≥ 64 MiB +300." in where


def test_the_json_with_kinds_and_groups_validates_against_the_schema(kinds_run):
    import jsonschema
    from test_reports import schema

    _, run = kinds_run
    jsonschema.validate(run, schema("run.schema.json"))
    assert run["stages"][0]["groups_change_mb"] is not None or run["stages"][1]["groups_change_mb"]


def test_a_diff_sets_where_each_run_went_side_by_side(runs_dir):
    from memtop.engine.store import RunWriter

    from conftest import MIB, stage

    for name, library in (("a", "libopenvino_intel_cpu_plugin.so"), ("b", "libtorch_cpu.so")):
        writer = RunWriter(str(runs_dir / f"{name}.db"),
                           {"run_id": name, "backend": name, "status": "running"})
        writer.add_samples([(1.0 + i / 10, 100 * MIB) for i in range(10)])
        writer.add_stage(1, stage("initial", 1.0, 100, 100, groups={}))
        writer.add_stage(2, stage("model_loaded", 1.2, 150, 150, groups={library: 50 * MIB}))
        writer.add_stage(3, stage("first_inference", 1.4, 250, 250,
                                  groups={library: 50 * MIB, "anonymous ≥ 64 MiB": 100 * MIB}))
        writer.set_meta({"status": "done"})
        writer.close()
    result = run_memtop("diff", "a", "b", "--format", "table", "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stderr
    assert "Where loading and the first inference went" in result.stdout
    assert "libopenvino_intel_cpu_plugin.so +50.0" in result.stdout
    assert "libtorch_cpu.so +50.0" in result.stdout
    assert result.stdout.count("anonymous ≥ 64 MiB +100.0") == 2
