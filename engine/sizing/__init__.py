"""`memtop fit`: the largest batch (or sequence) each backend runs within a memory budget."""
