"""Pure figures: from stages, readings and iterations to the numbers people read.

- `summary`: the seeds' table (loading, compilation, peak, latencies, health) and the one way
  every view gets a run's summary (`current_summary`);
- `stats`: RSS statistics per stage; `leaks`: the leak slope over iterations;
- `diff`: two runs aligned by stage; `check`: a run against budgets (CI);
- `alarms`: the rules that raise swap, pressure and cgroup alarms from readings;
- `output_stages`: stage names read from a program's output lines (`--stages-from-output`).
No I/O, no Rich, no UI: plain data in, plain data out. Import from the modules.
"""
