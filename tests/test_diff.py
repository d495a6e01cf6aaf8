"""Stage-aligned comparison of two runs."""

from memtop.engine.analysis.diff import diff_stages, diff_summary, stage_axis

from conftest import MIB


def stage(name, t, rss, peak):
    return {"name": name, "t": t, "t_end": t, "rss": rss * MIB, "swap": 0, "peak": peak * MIB,
            "peak_exact": True}


A = [stage("initial", 1, 100, 100), stage("model_loaded", 3, 300, 350), stage("final", 4, 310, 320)]
B = [stage("initial", 10, 120, 120), stage("model_loaded", 20, 250, 400), stage("extra", 21, 1, 1)]


def test_rows_follow_stages_and_deltas_are_b_minus_a():
    rows = {r["name"]: r for r in diff_stages(A, B)}
    assert list(rows) == ["initial", "model_loaded", "final", "extra"]
    assert rows["model_loaded"]["d_rss_mb"] == -50 and rows["model_loaded"]["d_peak_mb"] == 50
    assert rows["model_loaded"]["a_duration_s"] == 2 and rows["model_loaded"]["b_duration_s"] == 10
    assert rows["final"]["b_rss_mb"] is None and rows["final"]["d_rss_mb"] is None


def test_summary_deltas_skip_text():
    rows = {r["key"]: r for r in diff_summary({"peak_mb": 10.0, "health": "good"},
                                              {"peak_mb": 12.5, "health": "high"})}
    assert rows["peak_mb"]["d"] == 2.5 and rows["health"]["d"] is None


def test_stage_axis_lines_runs_up_at_stage_starts():
    # Run A: stages end at 1 and 3 (start 0); run B: at 10 and 30 (start 0).
    a = stage_axis([0, 0.5, 1, 2, 3], [stage("s1", 1, 0, 0), stage("s2", 3, 0, 0)], 0)
    b = stage_axis([0, 5, 10, 20, 30], [stage("s1", 10, 0, 0), stage("s2", 30, 0, 0)], 0)
    assert a == b == [0, 0.5, 1, 1.5, 2]


def test_settings_that_differ_are_listed():
    from memtop.engine.analysis.diff import diff_settings

    a = {"spec": {"backend": "jax", "dtype": "float32", "env": {}}, "weights": "random",
         "allocator_settings": {"XLA_PYTHON_CLIENT_PREALLOCATE": "true"}}
    b = {"spec": {"backend": "jax", "dtype": "bfloat16",
                  "env": {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}}, "weights": "random",
         "allocator_settings": {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}}
    rows = {r["key"]: (r["a"], r["b"]) for r in diff_settings(a, b)}
    assert rows == {"dtype": ("float32", "bfloat16"),
                    "env XLA_PYTHON_CLIENT_PREALLOCATE": ("true", "false")}
