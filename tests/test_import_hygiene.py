"""`import memtop` stays cheap, and the engine never imports the UI."""

import subprocess
import sys

HEAVY = ("numpy", "tensorflow", "torch", "jax", "openvino", "keras", "keras_hub", "textual")


def loaded_after(statement: str) -> set[str]:
    code = (f"import sys; {statement}; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


def test_import_memtop_loads_no_numpy_or_framework():
    assert loaded_after("import memtop") == set()


def test_cli_and_engine_client_load_no_framework():
    modules = "memtop.cli, memtop.engine.client, memtop.engine.report.tables"
    assert loaded_after(f"import {modules}") == set()


def test_session_module_defers_framework_imports():
    assert loaded_after("import memtop.engine.session, memtop.engine.session.models") == set()
