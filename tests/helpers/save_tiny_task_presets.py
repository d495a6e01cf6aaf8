"""Saves tiny keras-hub preset directories under argv[1], so that loading a local preset of any
task is tested offline: a BERT text classifier (with task.json), a bare BERT backbone, and a
BART sequence-to-sequence LM with a byte-level tokenizer (keras-hub's Seq2SeqLM is also a
CausalLM: memtop must read it as the more specific task)."""

import sys
from pathlib import Path

import keras_hub

from memtop.engine.session.gpt2_random import byte_level_vocabulary
from memtop.engine.session.model_sources import build_architecture

where = Path(sys.argv[1])
classifier = build_architecture("bert_tiny", "float32")
classifier.save_to_preset(str(where / "classifier"))
classifier.backbone.save_to_preset(str(where / "backbone"))

vocabulary, merges = byte_level_vocabulary(300)
for token in ("<s>", "<pad>", "</s>", "<unk>", "<mask>"):
    vocabulary.setdefault(token, len(vocabulary))
tokenizer = keras_hub.models.BartTokenizer(vocabulary=vocabulary, merges=merges)
# keras-hub's preprocessor loads with sequences of 1,024 whatever was saved: the backbone's
# position table must be that long.
backbone = keras_hub.models.BartBackbone(vocabulary_size=len(vocabulary), num_layers=1,
                                         num_heads=2, hidden_dim=16, intermediate_dim=32,
                                         max_sequence_length=1024)
preprocessor = keras_hub.models.BartSeq2SeqLMPreprocessor(tokenizer=tokenizer)
seq2seq = keras_hub.models.BartSeq2SeqLM(backbone=backbone, preprocessor=preprocessor)
seq2seq.save_to_preset(str(where / "seq2seq"))
