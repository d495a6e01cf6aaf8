"""The engine process: the run queue, and for each live run its session, samplers and writer.

`loop.Engine` receives client messages, starts sessions (`launch`), pumps each `live_run.LiveRun`
(its `sampler` and `gpu_sampler` threads read from outside the session, `peaks` sets the sampled
maximum beside the kernel's exact one), writes run files (store.writer), raises alarms
(analysis.alarms), sets stage boundaries from outside (`outside_marks`: a key, a line of output),
says how each run ended (`outcome`), and sends messages (engine/messages.py).
Only `memtop.engine.client` starts it; nothing else imports it.
"""
