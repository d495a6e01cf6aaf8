"""`memtop check` of a fit (issue #16): a CI gate on the largest batch each backend runs within
its budget, alone (--min-fit) or against a baseline fit (--max-regression); peak budgets mean
nothing for a fit and say so in one line. Fits written by the real run-file writer."""

from untrusted_files import HOSTILE

from conftest import run_memtop, write_run


def fit_file(runs_dir, run_id: str, largest: dict) -> None:
    results = [{"backend": b, "largest": n, "peak_mib": 1000.0, "trials": []}
               for b, n in largest.items()]
    write_run(runs_dir / f"{run_id}.db", run_id=run_id,
              meta={"kind": "fit", "fit": {"axis": "batch", "budget": 2**33, "results": results}})


def check(runs_dir, *args):
    return run_memtop("check", *args, "--runs-dir", str(runs_dir))


def test_min_fit_holds_when_every_backend_reaches_it(runs_dir):
    fit_file(runs_dir, "fit", {"torch": 8, "jax": 6, "openvino": None})
    result = check(runs_dir, "fit", "--min-fit", "6")
    assert result.returncode == 1  # openvino: not even 1 fits
    assert "openvino largest batch" in result.stdout and "none fits" in result.stdout
    assert "torch largest" not in result.stdout and "jax largest" not in result.stdout
    fit_file(runs_dir, "fit2", {"torch": 8, "jax": 6})
    assert check(runs_dir, "fit2", "--min-fit", "6").returncode == 0
    result = check(runs_dir, "fit2", "--min-fit", "7")
    assert result.returncode == 1 and "jax largest batch" in result.stdout
    assert "≥ 7" in result.stdout and "torch" not in result.stdout


def test_a_fit_against_a_baseline_fails_where_its_largest_shrank_too_much(runs_dir):
    fit_file(runs_dir, "base", {"torch": 32, "jax": 16, "tensorflow": 8})
    fit_file(runs_dir, "new", {"torch": 30, "jax": 12})
    result = check(runs_dir, "new", "--baseline", "base", "--max-regression", "10%")
    assert result.returncode == 1
    assert "jax largest batch vs baseline" in result.stdout and "-25.0%" in result.stdout
    assert "tensorflow" in result.stdout and "not in this fit" in result.stdout
    assert "torch" not in result.stdout  # 30 of 32: within 10%
    ok = check(runs_dir, "new", "--baseline", "new", "--max-regression", "0%")
    assert ok.returncode == 0 and "within budget" in ok.stdout


def test_budgets_that_mean_nothing_for_a_fit_are_one_line_errors(runs_dir):
    fit_file(runs_dir, "fit", {"torch": 8})
    write_run(runs_dir / "r1.db", run_id="r1")
    for args, words in ((("fit", "--max-peak", "1GiB"), "is a fit: check it with --min-fit"),
                        (("r1", "--min-fit", "4"), "--min-fit checks a fit"),
                        (("r1", "--baseline", "fit", "--max-regression", "5%"),
                         "a fit compares with a fit"),
                        (("fit", "--baseline", "r1", "--max-regression", "5%"),
                         "a fit compares with a fit")):
        result = check(runs_dir, *args)
        assert result.returncode == 2, (args, result.stdout)
        assert words in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_crafted_backend_name_is_checked_as_data(runs_dir):
    fit_file(runs_dir, "fit", {HOSTILE: 1})
    result = check(runs_dir, "fit", "--min-fit", "2")
    assert result.returncode == 1 and "\x1b]" not in result.stdout
