"""The app's screens, one module each: home (runs, processes, a new bench), the dashboard (live,
replay, follow), a run's detail, a diff of two runs, the event log, and the key help."""
