"""Saves a tiny BERT text classifier (with task.json) and a bare tiny BERT backbone as keras-hub
preset directories under argv[1], so that loading a local preset of any task is tested offline."""

import sys
from pathlib import Path

from memtop.engine.session.model_sources import build_architecture

classifier = build_architecture("bert_tiny", "float32")
classifier.save_to_preset(str(Path(sys.argv[1]) / "classifier"))
classifier.backbone.save_to_preset(str(Path(sys.argv[1]) / "backbone"))
