"""memtop's engine: sessions, the out-of-process sampler, run files and reports. No UI here."""
