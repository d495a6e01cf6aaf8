"""200 damaged run files and 50 bad command lines: a clear one-line error each, never a
traceback. Run in-process through the CLI's own entry point (main), so that an unexpected
exception fails the test instead of being hidden in a subprocess's output."""

import random
import shutil

import pytest

from memtop.cli import main

from tui_support import BENCH_RUNS


def damaged_copies(tmp_path, count: int) -> list:
    rng = random.Random(20261122)
    paths = []
    for i in range(count):
        source = BENCH_RUNS[i % len(BENCH_RUNS)].read_bytes()
        kind = i % 4
        if kind == 0:  # truncated anywhere, header included
            data = source[: rng.randrange(0, len(source))]
        elif kind == 1:  # a burst of random bytes somewhere
            start = rng.randrange(0, len(source))
            burst = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4096)))
            data = source[:start] + burst + source[start + len(burst):]
        elif kind == 2:  # scattered flipped bits
            data = bytearray(source)
            for _ in range(rng.randrange(1, 64)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            data = bytes(data)
        else:  # a whole page zeroed (lost block)
            page = rng.randrange(len(source) // 4096) * 4096
            data = source[:page] + bytes(4096) + source[page + 4096:]
        path = tmp_path / f"damaged-{i:03d}.db"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_200_damaged_run_files(tmp_path, capsys):
    outcomes = {"error": 0, "read": 0}
    for path in damaged_copies(tmp_path, 200):
        for args in (["show", str(path), "--format", "json"], ["show", str(path)],
                     ["export", str(path), "-o", str(tmp_path / "out.json")]):
            code = main(args)  # an unexpected exception fails the test here
            err = capsys.readouterr().err.strip()
            assert code in (0, 2), (path, args, code, err)
            if code == 2:
                assert len(err.splitlines()) == 1 and err.startswith("memtop: error:"), err
                assert "Traceback" not in err
                outcomes["error"] += 1
            else:  # damage in bytes nothing reads (free space): the run reads fine
                outcomes["read"] += 1
    assert outcomes["error"] >= 300  # most damage is caught, none crashes


BAD_COMMAND_LINES = [
    ["frobnicate"], ["bench", "--backend"], ["bench", "--backend", "tf"],
    ["bench", "--backend", "torch,pytorch"], ["bench", "--backend", ""],
    ["bench", "--model", "/nonexistent/dir"], ["bench", "--model", "./nope"],
    ["bench", "--weights", "maybe"], ["bench", "--interval-ms", "0"],
    ["bench", "--interval-ms", "-1"], ["bench", "--interval-ms", "fast"],
    ["bench", "--interval-ms", "inf"], ["bench", "--max-length", "0"],
    ["bench", "--max-length", "ten"], ["bench", "--parallel", "0"],
    ["bench", "--dtype", "float8"], ["bench", "--mode", "eval"],
    ["bench", "--batch-size", "0"], ["bench", "--batch-size", "a,b"],
    ["bench", "--batch-size", "-4"], ["bench", "--leak-iterations", "-2"],
    ["bench", "--training-steps", "0"], ["bench", "--device", "tpu"],
    ["bench", "--env", "=1"], ["bench", "--env", "A"], ["bench", "--swap-warning-mb", "-1"],
    ["bench", "--model", "gpt2_huge", "--weights", "random"],
    ["bench", "--backend", "openvino", "--mode", "training"],
    ["show"], ["show", "missing-run-id"], ["show", "/no/such/file.db"],
    ["show", "latest", "--format", "xml"], ["diff", "only-one"],
    ["diff", "a", "b", "--format", "pdf"], ["export", "latest", "--format", "svg"],
    ["check", "latest"], ["check", "latest", "--max-peak", "lots"],
    ["check", "latest", "--max-swap", "-1G"], ["check", "latest", "--max-leak", "1MiB/s"],
    ["check", "latest", "--max-regression", "5%"],
    ["check", "latest", "--max-stage-peak", "x"], ["run"], ["run", "--"],
    ["run", "--", "definitely-not-a-program"], ["run", "--interval-ms", "0", "--", "true"],
    ["attach"], ["attach", "0"], ["attach", "-5"], ["attach", "999999999"], ["attach", "x"],
    ["replay", "--follow", "a", "b"], ["replay"],
]


def test_there_are_50_bad_command_lines():
    assert len(BAD_COMMAND_LINES) >= 50


@pytest.mark.parametrize("argv", BAD_COMMAND_LINES, ids=" ".join)
def test_a_bad_command_line_is_exit_2_and_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty ./runs: 'latest' finds nothing
    shutil.copy(BENCH_RUNS[0], tmp_path / "a.db")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("memtop: error:"), err
