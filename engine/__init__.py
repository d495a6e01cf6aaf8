"""memtop's engine: everything but the UI, in rooms named after the process their code runs in.

- `session/`: inside the measured process (a backend session, or a user's program's markers);
- `probes/`: readers of memory from outside (/proc, cgroup, NVML, the process list);
- `monitor/`: the engine process (the run queue, live runs, samplers, run writers);
- `store/`: run files, and the message streams read back from them (replay, follow);
- `analysis/`: pure figures (summary, statistics, leaks, diff, budgets, alarm rules);
- `report/`: tables and file formats for people and other tools;
- `sizing/`: `memtop fit`'s search and the line fitted to its trials (pure figures);
- `models/`: what memtop knows of models (the catalog of names, the random-weight architectures);
- `client/`: the CLI's and TUI's side (the engine client, the message sources every view polls,
  the state folded from messages, `memtop fit`'s driver);
- `cluster/`: runs placed on a Ray cluster (a client whose runs are Ray tasks).
Shared by all: `spec` (what a run is asked to do), `messages` (every message, defined once),
`events` (a session's stage events and their rules), `values` (what a value from outside must
be), `units` (sizes), `text` (the one sanitizer), `errors`, `backends`. No module here imports
Textual; pyproject.toml's import-linter contracts keep the rooms apart (docs/architecture.md).
"""
