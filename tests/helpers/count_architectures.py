"""Prints, as JSON, every family's parameter count: full sizes counted without allocating (the
way memtop does), tiny sizes both that way and by building them for real; and this process's
peak RSS, which shows that nothing the size of a full model was allocated."""

import json

from memtop.engine.models.architectures import ARCHITECTURES, TINY
from memtop.engine.probes.procfs import read_status
from memtop.engine.session.model_sources import build_architecture, count_without_allocating

counts = {"full": {name: count_without_allocating(a) for name, a in ARCHITECTURES.items()},
          "tiny_counted": {name: count_without_allocating(a) for name, a in TINY.items()},
          "tiny_built": {name: build_architecture(name, "float32").backbone.count_params()
                         for name in TINY},
          "peak_rss": read_status("self").hwm}
print(json.dumps(counts))
