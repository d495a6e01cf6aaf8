"""Code that runs inside the measured process (a backend session, or any program's markers).

A session is `python -m memtop.engine.session`: it sets up one Keras backend, loads the model
(`models`), runs the seeds' protocol (`protocols`) and reports stage boundaries with exact kernel
peaks through `stagepoint`, the one writer of session events. `stagepoint` is standard library
only, because it also runs behind `memtop.stage()` in users' programs. Nothing here imports
SQLite, Rich, msgpack or the engine's other rooms: the measured process carries no more of
memtop than it must. Frameworks are imported inside functions, never at module level.
"""
