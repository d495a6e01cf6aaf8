"""The tree of stages, built by a real StageRecorder in this process and placed by the engine's
StagePlaces: parents, occurrences, marks that never cross a block's edge; folding, and runs
aligned by occurrence."""

import json
import os
import random
import threading

from memtop.engine.analysis.diff import compare_stages
from memtop.engine.analysis.stage_fold import fold_rows
from memtop.engine.analysis.stage_rows import stage_rows, table_rows
from memtop.engine.analysis.stage_tree import StagePlaces
from memtop.engine.events import BadEvent, check_event
from memtop.engine.session.stagepoint import EventChannel, StageRecorder

MIB = 1024 * 1024


class Recorded:
    """A StageRecorder whose events go through the engine's checks and StagePlaces, as the
    engine stores them."""

    def __init__(self) -> None:
        read_fd, self.write_fd = os.pipe()
        self.recorder = StageRecorder(EventChannel(self.write_fd), collect=False)
        self.places = StagePlaces()
        self.stages: list[dict] = []
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, args=(read_fd,), daemon=True)
        self._reader.start()  # a pipe holds 64 KiB: events are read as they come

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "rb") as stream:
            while chunk := stream.read1(1 << 20):
                self._chunks.append(chunk)

    def drain(self) -> list[dict]:
        """Every event so far, through the engine's checks and places (ends the recording)."""
        if self.write_fd is not None:
            os.close(self.write_fd)
            self.write_fd = None
            self._reader.join()
        lines = b"".join(self._chunks).split(b"\n")
        self._chunks = []
        for line in filter(None, lines):
            event = check_event(json.loads(line))
            if event["type"] == "begin":
                self.places.begin(event)
            elif event["type"] == "stage":
                self.places.stage(event)
                self.stages.append(event)
        return self.stages


def touch(size: int) -> bytearray:
    block = bytearray(size)
    block[::4096] = b"x" * len(block[::4096])
    return block


def training_loop(rec: Recorded, epochs: int = 3, batches: int = 4, spike_in=None) -> None:
    r = rec.recorder
    fit = r.begin("fit")
    for epoch in range(1, epochs + 1):
        block = r.begin("epoch")
        for _ in range(batches):
            r.boundary("batch")
        test = r.begin("test")
        if spike_in == epoch:
            del touch(64 * MIB)[:]
        r.end(test)
        r.end(block, epoch=epoch)
    r.end(fit)
    r.boundary("after")


def test_marks_are_filed_in_their_block_and_numbered_among_siblings():
    rec = Recorded()
    training_loop(rec)
    rows = {row["key"]: row for row in stage_rows(rec.drain())}
    assert set(rows) >= {"fit", "fit/epoch", "fit/epoch#3", "fit/epoch#2/batch#4",
                         "fit/epoch#2/test", "after"}
    second_batch = rows["fit/epoch#2/batch"]
    assert second_batch["parent"] == "fit/epoch#2" and second_batch["depth"] == 2
    assert rows["fit/epoch#3"]["occurrence"] == 3 and rows["fit/epoch#3"]["name"] == "epoch #3"
    assert rows["fit/epoch#2/test"]["name"] == "test"  # once in its epoch: no number
    assert rows["after"]["parent"] is None and rows["after"]["depth"] == 0


def test_a_mark_never_crosses_a_block_edge_and_durations_sum_within_blocks():
    rec = Recorded()
    training_loop(rec)
    stages = rec.drain()
    by_key = {row["key"]: (row, stage) for row, stage in zip(stage_rows(stages), stages,
                                                             strict=True)}
    for row, stage in by_key.values():
        assert row["duration_s"] is None or row["duration_s"] >= 0
        if row["parent"] is None:
            continue
        parent = by_key[row["parent"]][1]
        assert parent["t_start"] <= stage["t_start"] and stage["t"] <= parent["t"], row["key"]
    # The first batch of epoch 2 starts where epoch 2 began, not in epoch 1.
    assert by_key["fit/epoch#2/batch"][1]["t_start"] == by_key["fit/epoch#2"][1]["t_start"]
    for key in ("fit/epoch", "fit/epoch#2"):
        children = [row for row, _ in by_key.values() if row["parent"] == key]
        assert sum(r["duration_s"] for r in children) <= by_key[key][0]["duration_s"]


def test_a_spike_inside_one_occurrence_is_that_occurrences_exact_peak():
    rec = Recorded()
    training_loop(rec, spike_in=2)
    rows = {row["key"]: row for row in stage_rows(rec.drain())}
    spiked, quiet = rows["fit/epoch#2/test"], rows["fit/epoch#3/test"]
    assert spiked["peak_mb"] - spiked["rss_mb"] >= 64 * 0.98 - 1
    assert quiet["peak_mb"] - quiet["rss_mb"] < 16
    # Folded, the worst occurrence speaks for its path.
    folded = {row["path"]: row for row in fold_rows(table_rows(rec.stages))}
    assert folded["fit/epoch/test"]["worst"] == "fit/epoch#2/test"
    assert folded["fit/epoch/test"]["count"] == 3
    assert folded["fit/epoch/batch"]["count"] == 12
    assert folded["fit/epoch"]["name"] == "epoch ×3"


def test_an_exception_through_open_blocks_closes_them_failed():
    rec = Recorded()
    r = rec.recorder
    outer = r.begin("outer")
    r.begin("left_open")  # an exception went through it: it never got its end
    r.end(outer, error="RuntimeError")
    r.begin("at_exit")
    r.close_all("did not end")
    names = [(s["name"], s.get("error")) for s in rec.drain()]
    assert names == [("left_open", "RuntimeError"), ("outer", "RuntimeError"),
                     ("at_exit", "did not end")]


def test_a_stage_that_ends_before_it_starts_is_refused():
    event = {"type": "stage", "name": "x", "t": 5.0, "t_end": 5.0, "t_start": 6.0, "rss": 1,
             "swap": 0, "peak": 1}
    try:
        check_event(event)
    except BadEvent as exc:
        assert "before it began" in str(exc)
    else:
        raise AssertionError("accepted a negative duration")


def test_a_parent_that_is_not_an_open_block_puts_the_stage_at_the_top():
    places = StagePlaces()
    stage = {"type": "stage", "name": "orphan", "parent": 999, "t": 1.0}
    places.stage(stage)
    assert stage["parent"] is None and stage["path"] == ["orphan"]


def test_two_hundred_repeated_steps_fold_into_one_row():
    rec = Recorded()
    for _ in range(200):
        with_block = rec.recorder.begin("step")
        rec.recorder.end(with_block)
    rows = fold_rows(table_rows(rec.drain()))
    assert [(r["name"], r["count"]) for r in rows] == [("step ×200", 200)]
    assert len(table_rows(rec.stages)) == 200


def test_diff_aligns_occurrences_and_keeps_a_stage_only_one_run_has_in_place():
    a, b = Recorded(), Recorded()
    training_loop(a, epochs=2)
    training_loop(b, epochs=3, spike_in=2)
    rows = compare_stages([a.drain(), b.drain()])
    keys = [row["key"] for row in rows]
    assert keys.index("fit/epoch#2/test") < keys.index("fit/epoch#3") < keys.index("after")
    test2 = rows[keys.index("fit/epoch#2/test")]
    assert test2["d_peak_mb"][1] > 60  # the spike in B's second epoch, against A's
    only_b = rows[keys.index("fit/epoch#3")]
    assert only_b["peak_mb"][0] is None and only_b["peak_mb"][1] is not None
    folded = {row["key"]: row for row in compare_stages([a.stages, b.stages], fold=True)}
    assert folded["fit/epoch/test"]["count"] == [2, 3]
    assert folded["fit/epoch/test"]["worst"][1] == "fit/epoch#2/test"


def test_random_nestings_keep_every_stage_inside_its_parent():
    rng = random.Random(3)
    for _ in range(20):
        rec = Recorded()
        open_blocks = []
        for _ in range(rng.randrange(5, 40)):
            roll = rng.random()
            if roll < 0.3:
                open_blocks.append(rec.recorder.begin(rng.choice("abc")))
            elif roll < 0.6 and open_blocks:
                rec.recorder.end(open_blocks.pop())
            else:
                rec.recorder.boundary(rng.choice("xy"))
        while open_blocks:
            rec.recorder.end(open_blocks.pop())
        stages = rec.drain()
        rows = stage_rows(stages)
        by_key = {row["key"]: stage for row, stage in zip(rows, stages, strict=True)}
        assert len(by_key) == len(stages)  # every occurrence has a key of its own
        for row, stage in zip(rows, stages, strict=True):
            if row["parent"] is not None:
                parent = by_key[row["parent"]]
                assert parent["t_start"] <= stage.get("t_start", stage["t"]) <= stage["t"] \
                    <= parent["t"]
        order = table_rows(stages)
        for i, row in enumerate(order):  # each stage comes after its parent in tables
            if row["parent"] is not None:
                assert [r["key"] for r in order[:i]].count(row["parent"]) == 1


def test_a_folded_row_keeps_a_name_that_holds_a_slash_whole():
    rec = Recorded()
    outer = rec.recorder.begin("train/epoch_1 · old style")  # names once made paths themselves
    for _ in range(2):
        rec.recorder.boundary("a/b [/x]")
    rec.recorder.end(outer)
    rows = fold_rows(table_rows(rec.drain()))
    assert [r["name"] for r in rows] == ["train/epoch_1 · old style", "a/b [/x] ×2"]
