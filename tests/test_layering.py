"""The engine never imports the UI: every module of memtop.engine imported, none loads Textual.

(import-linter checks the same statically in `make test`; this checks what really loads.)"""

import pkgutil
import subprocess
import sys

import memtop.engine


def test_no_engine_module_imports_textual():
    names = [m.name for m in pkgutil.walk_packages(memtop.engine.__path__, "memtop.engine.")
             if not m.name.endswith("__main__")]
    assert len(names) > 40
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n"
            "print('textual' in sys.modules, 'memtop.tui' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
