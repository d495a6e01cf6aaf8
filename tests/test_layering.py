"""The engine never imports the UI: every module of memtop.engine imported alone."""

import pkgutil
import subprocess
import sys

import memtop.engine


def test_no_engine_module_imports_textual():
    names = [m.name for m in pkgutil.iter_modules(memtop.engine.__path__, "memtop.engine.")]
    assert len(names) > 10
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n"
            "print('textual' in sys.modules, 'memtop.tui' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
