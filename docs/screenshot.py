"""Regenerates docs/dashboard.svg, the README's screenshot: the recorded four-backend bench
(tests/fixtures/runs) replayed to its end in the dashboard at 120x40.

    .venv/bin/python docs/screenshot.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from memtop.engine.store import read_run
from memtop.tui.app import MemtopApp
from memtop.tui.sources import ReplaySource

HERE = Path(__file__).resolve().parent
RUNS = sorted((HERE.parent / "tests" / "fixtures" / "runs").glob("*gpt2_medium_en*.db"))


async def main() -> None:
    source = ReplaySource([read_run(str(p)) for p in RUNS], at_end=True)
    app = MemtopApp(start="dashboard", source=source, theme="memtop-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.0)
        (HERE / "dashboard.svg").write_text(app.export_screenshot(title="memtop"))


if __name__ == "__main__":
    asyncio.run(main())
