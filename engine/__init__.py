"""memtop's engine: everything but the UI, in rooms named after the process their code runs in.

- `session/`: inside the measured process (a backend session, or a user's program's markers);
- `probes/`: readers of memory from outside (/proc, cgroup, NVML, the process list);
- `monitor/`: the engine process (the run queue, live runs, samplers, run writers);
- `store/`: run files, and the message streams read back from them (replay, follow);
- `analysis/`: pure figures (summary, statistics, leaks, diff, budgets, alarm rules);
- `report/`: tables and file formats for people and other tools;
- `client/`: the CLI's and TUI's side (the engine client, the state folded from messages).
Shared by all: `spec` (what a run is asked to do), `messages` (every message, defined once),
`units` (sizes), `errors`, `backends`. No module here imports Textual; pyproject.toml's
import-linter contracts keep the rooms apart (docs/architecture.md).
"""
