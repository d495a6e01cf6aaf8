"""Readings in compressed blocks (run files of schema 3, issue #15): exact round trips, a few
bytes a sample, small blocks merged as the run goes, followers that see every row across a
merge, and blocks that no writer makes refused in one line."""

from __future__ import annotations

import lzma
import math
import random
import sqlite3
import time
import zlib

import msgpack
import pytest

from memtop.engine.store import RunFollower, RunWriter, read_run, windows
from memtop.engine.store import series as series_module
from memtop.engine.store import writer as writer_module
from memtop.engine.store.blocks import RELATIVE, BadBlock, decode, encode, encode_plain
from memtop.engine.store.schema import REAL_COLUMNS

from conftest import MIB, run_memtop, write_run

SAMPLES, PROC, SYSTEM = (REAL_COLUMNS[t] for t in ("samples", "proc", "system"))


def monotonic_like(n: int, start_us: int = 8_868_514_001) -> list[tuple[float, int, int]]:
    """Times as the engine gives readings (microseconds), 5 ms apart with random jitter, sizes
    that change by pages now and then, and each reading's highest a little above now and then."""
    rows, t, rss = [], start_us, 500 * MIB
    jitter = random.Random(1)
    for _ in range(n):
        t += 5_000 + jitter.randint(0, 40)
        rss += jitter.randint(-50, 50) * 4096 if jitter.random() < 0.1 else 0
        high = rss + (jitter.randint(1, 64) * 4096 if jitter.random() < 0.01 else 0)
        rows.append((round(t / 1e6, 6), rss, high))
    return rows


def test_rows_come_back_exactly_whatever_their_times_and_gaps():
    clock = [(time.monotonic(), 1, 2) for _ in range(500)]  # nanosecond times: kept exactly
    synthetic = [(1.0 + i / 100, 100 * MIB, 101 * MIB) for i in range(50)]  # not nanosecond
    proc = [(t, 10**8 + i, 10**8, 0, None, 5 * MIB, 1) for i, (t, *_) in
            enumerate(monotonic_like(30))]
    system = [(t, 10**9, 0, 0, 0.25, None, None, None) for t, *_ in monotonic_like(10)]
    for rows, real in ((clock, SAMPLES), (synthetic, SAMPLES), (proc, PROC), (system, SYSTEM),
                       ([], SAMPLES)):
        assert decode(encode(rows, real), real) == rows
        assert decode(encode(rows, real, final=True), real) == rows  # xz: full blocks


def test_a_sample_costs_a_few_bytes():
    rows = monotonic_like(12_000)  # a minute: a full block
    high_over_rss = RELATIVE["samples"]  # mostly zeros: almost free
    assert len(encode(rows, SAMPLES, relative=high_over_rss)) / len(rows) < 1.5  # SQLite: ~24
    assert len(encode(rows, SAMPLES, final=True, relative=high_over_rss)) / len(rows) < 1.1
    assert decode(encode(rows, SAMPLES, relative=high_over_rss), SAMPLES) == rows


def block(**fields) -> bytes:
    good = {"n": 1, "cols": [bytes(8)] * 3, "nulls": [[], [], []], "exact": []}
    return zlib.compress(msgpack.packb({**good, **fields}, use_bin_type=True))


@pytest.mark.parametrize("blob", [
    "text", b"not zlib", zlib.compress(b"not msgpack \xc1"), block(n=2), block(cols=[b"x", b"y"]),
    block(nulls=[[5], [], []]), block(rel=[[1, 2]]), block(rel=[[2, 0]]), block(rel=[["2", 1]]),
    block(rel=[[2, 1, 0]]), block(rel="x"), block(exact=[[0, "x"]]), block(exact=[[0, math.nan]]),
    zlib.compress(bytes(80 * 1024 * 1024)),  # a bomb: 80 MiB of zeros in 80 KB
    lzma.compress(bytes(80 * 1024 * 1024)),  # the same in xz
    encode(monotonic_like(100), SAMPLES, final=True)[:-20],  # xz cut short
    # plain rows (a block's extremes) of the wrong shape:
    msgpack.packb({"rows": [[1.0, 2, 3, 4]]}), msgpack.packb({"rows": [[math.inf, 2, 2]]}),
    msgpack.packb({"rows": [[1.0, "2", 2]]}), msgpack.packb({"rows": [[1, 2, 2]]}),
    msgpack.packb({"rows": "x"}), msgpack.packb({"other": []}), b"\x81\xc1",
])
def test_blocks_no_writer_makes_are_refused(blob):
    with pytest.raises(BadBlock):
        decode(blob, SAMPLES)


def test_plain_rows_come_back_as_a_compressed_block_gives_them():
    proc = (True, False, False, False, False, False, False)
    rows = [(1.5, 100, 200, None, 50, 50, 1), (2.25, 7, 3, 4, 5, 6, 2)]
    assert decode(encode_plain(rows, proc), proc) == decode(encode(rows, proc), proc) == rows
    system = (True, False, False, False, True, True, False, False)
    row = (3.0, 1, 2, 3, 0, None, None, 4)  # a pressure figure stored as an int comes back float
    (back,) = decode(encode_plain([row], system), system)
    assert back == row and isinstance(back[4], float)


def test_a_damaged_block_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "r.db"
    write_run(path)
    with sqlite3.connect(path) as db:
        # `check` reads a run without a stored summary from its blocks' extremes (the index).
        db.execute("UPDATE blocks SET data = ?, extremes = ? WHERE series = 'samples'",
                   (block(n=2), block(n=2)))
    for args in (("show", str(path), "--stats"), ("export", str(path), "-o", "-"),
                 ("check", str(path), "--max-peak", "1TiB")):
        result = run_memtop(*args)
        assert result.returncode == 2, (args, result.stdout[-300:])
        assert len(result.stderr.strip().splitlines()) == 1 and "damaged run file" in \
            result.stderr


def test_small_blocks_are_merged_and_a_follower_sees_every_row_once(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "MERGE_SPAN_S", 2.4)  # 478 samples (5.02 ms apart)
    path = str(tmp_path / "r.db")
    writer = RunWriter(path, {"run_id": "r", "status": "running"})
    follower = None
    seen: list[float] = []
    rows = monotonic_like(3_000)
    for i in range(0, len(rows), 100):  # a commit every 100 samples, merged as it goes
        writer.add_samples(rows[i:i + 100])
        writer.commit()
        follower = follower or RunFollower(read_run(path))
        seen.extend(t for m in follower.poll() if m["type"] == "samples" for t in m["t"])
    writer.finish({"status": "done"}, (1.0, "end", "info", "done"))
    seen.extend(t for m in follower.poll() if m["type"] == "samples" for t in m["t"])
    follower.close()
    assert seen == [row[0] for row in rows]
    run = read_run(path)
    assert run.samples() == rows and run.version == 5
    spans = run._query("SELECT t1 - t0 FROM blocks WHERE series = 'samples' ORDER BY rowid")
    assert len(spans) == 7 and all(s < 2.4 for (s,) in spans)  # 6 full ones and the rest


def test_a_samples_summary_keeps_one_row_a_second_that_bounds_its_rss():
    """Each second's row of its highest maximum, and the last: a maximum is never below its RSS,
    so that row bounds the second's RSS too, and a second's summary is one row, not two."""
    from memtop.engine.store.blocks import summarize

    rng = random.Random(3)
    rows = [(t, rss, rss + (rng.randint(1, 64) * 4096 if rng.random() < 0.2 else 0))
            for t, rss, _ in monotonic_like(12_000)]  # a minute, a fifth with a maximum above
    kept = summarize("samples", rows)
    seconds = {int(row[0]) for row in rows}
    assert len(kept) <= len(seconds) + 1 and kept[-1] == rows[-1]
    for second in seconds:
        inside = [row for row in rows if int(row[0]) == second]
        top = max(row[2] for row in kept if int(row[0]) == second)
        assert top == max(row[2] for row in inside) >= max(row[1] for row in inside)


def test_a_long_run_is_read_by_window_with_every_extreme_kept(tmp_path, monkeypatch):
    """40 minutes at 200 Hz with a 2 ms spike near the end: the whole run, read for a view,
    takes the blocks' summaries (a small share of the rows) yet folds into the same peaks; the
    spike is there, and a short window around it reads its rows whole."""
    from memtop.engine.client import fold
    from memtop.engine.store import RunStream

    path = str(tmp_path / "long.db")
    writer = RunWriter(path, {"run_id": "long", "status": "running", "t_start": 8_868.5})
    rows = monotonic_like(40 * 60 * 200)
    spike_at = len(rows) - 5_000
    rows[spike_at] = (rows[spike_at][0], 8_000 * MIB, 9_000 * MIB)  # a 2 ms spike, its peak
    for i in range(0, len(rows), 1_000):  # a commit every 5 s of the run
        writer.add_samples(rows[i:i + 1_000])
        writer.add_proc([(t, rss, rss + MIB, 7 * MIB if j == 3 else 0, rss, 0, 1)
                         for j, (t, rss, _) in enumerate(rows[i:i + 1_000:10])])
        writer.commit()
    writer.finish({"status": "done", "t_end": rows[-1][0]}, (rows[-1][0], "end", "info", "done"))
    run = read_run(path)
    stream = RunStream(run)
    messages = stream.all()
    sent = sum(len(m["t"]) for m in messages if m["type"] == "samples")
    assert sent < len(rows) / 20  # summaries: a row or two a second, not 200
    state = fold(messages).runs[0]
    assert state.sampled_max == 9_000 * MIB == state.rss_history.max()
    assert state.swap_peak == 7 * MIB and state.hwm == max(r[1] for r in rows) + MIB
    spike_t = rows[spike_at][0] - run.start
    around = stream.between(spike_t - 1.0, spike_t + 1.0)  # zoomed in: every row
    near = [v for m in around if m["type"] == "samples" for v in m["high"]]
    assert len(near) >= 390 and max(near) == 9_000 * MIB
    # A follower catching up on it (`replay --follow`) reads it the same way.
    follower = RunFollower(read_run(path))
    followed = follower.poll()
    follower.close()
    assert fold(followed).runs[0].sampled_max == 9_000 * MIB
    assert sum(len(m["t"]) for m in followed if m["type"] == "samples") < len(rows) / 20
    # Each block's summary in batches of blocks, in order, whatever the batch (a run's last
    # block is provisional: its rows).
    by_block = [row for rowid, _t0, _t1 in run.blocks_after("samples", float("-inf"))
                for row in run.block("samples", rowid, "summary") or run.block("samples", rowid)]
    monkeypatch.setattr(series_module, "COARSE_BATCH", 7)
    assert list(run.iter_coarse("samples")) == by_block
    assert max(row[2] for row in run.iter_coarse("samples", "extremes")) == 9_000 * MIB
    # Past EXTREMES_ABOVE_S (34 hours), each block gives only its extreme rows: a few a minute.
    monkeypatch.setattr(windows, "EXTREMES_ABOVE_S", 600.0)
    coarse = RunStream(run).all()
    assert sum(len(m["t"]) for m in coarse if m["type"] == "samples") < 40 * 6
    again = fold(coarse).runs[0]
    assert (again.sampled_max, again.swap_peak, again.hwm) == \
        (state.sampled_max, state.swap_peak, state.hwm)


def test_a_view_of_days_finds_and_reads_its_blocks_from_the_index_alone(tmp_path, monkeypatch):
    """Finding a window's blocks and taking their extremes read the blocks index (schema 5),
    never the blocks' own pages: without it each query walked every block's overflow pages."""
    from memtop.engine.store import RunStream

    path = str(tmp_path / "days.db")
    writer = RunWriter(path, {"run_id": "days", "status": "running"})
    rows = monotonic_like(12 * 60 * 20)  # 5 ms apart: a minute's block every 12,000 rows
    for i in range(0, len(rows), 2_000):
        writer.add_samples(rows[i:i + 2_000])
        writer.commit()
    writer.finish({"status": "done"}, (rows[-1][0], "end", "info", "done"))
    run = read_run(path)
    statements: list[str] = []
    run._db.set_trace_callback(statements.append)
    monkeypatch.setattr(windows, "EXTREMES_ABOVE_S", 60.0)  # the whole run: extremes
    messages = RunStream(run).all()
    run._db.set_trace_callback(None)
    assert max(v for m in messages if m["type"] == "samples" for v in m["high"]) == \
        max(row[2] for row in rows) == run.sampled_max()  # no stored summary: from extremes
    on_blocks = [sql for sql in statements if "FROM blocks" in sql and "rowid =" not in sql]
    assert any("extremes" in sql for sql in on_blocks)
    for sql in on_blocks:  # all but the ends' whole blocks, read by rowid
        sql = sql.replace("-Inf", "-1e999").replace("Inf", "1e999")  # as the trace writes them
        plan = " ".join(row[3] for row in run._db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "COVERING INDEX blocks_by_time" in plan, (sql, plan)


def test_the_last_minute_of_a_run_being_written_is_read_row_by_row(tmp_path, monkeypatch):
    """The blocks of the last commits are provisional (no summaries: they are replaced within
    a minute); a long window over them reads their rows."""
    from memtop.engine.store import RunStream

    monkeypatch.setattr(windows, "SUMMARY_ABOVE_S", 1.0)  # any window is "long"
    path = str(tmp_path / "live.db")
    writer = RunWriter(path, {"run_id": "live", "status": "running"})
    rows = monotonic_like(2_000)  # 10 s: no block is full yet
    for i in range(0, len(rows), 30):
        writer.add_samples(rows[i:i + 30])
        writer.commit()
    sent = [v for m in RunStream(read_run(path)).all() if m["type"] == "samples" for v in m["rss"]]
    assert sent == [row[1] for row in rows]
    writer.close()
