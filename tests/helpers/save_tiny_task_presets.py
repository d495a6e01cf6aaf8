"""Saves tiny keras-hub preset directories under argv[1], so that loading a local preset of any
task is tested offline: a BERT text classifier (with task.json), a bare BERT backbone, a BART
sequence-to-sequence LM with a byte-level tokenizer (keras-hub's Seq2SeqLM is also a CausalLM:
memtop must read it as the more specific task), and a Stable Diffusion 3 text-to-image model."""

import sys
from pathlib import Path

import keras
import keras_hub
from keras_hub.src.models.clip.clip_preprocessor import CLIPPreprocessor
from keras_hub.src.models.clip.clip_text_encoder import CLIPTextEncoder
from keras_hub.src.models.clip.clip_tokenizer import CLIPTokenizer
from keras_hub.src.models.vae.vae_backbone import VAEBackbone

from memtop.engine.session.gpt2_random import byte_level_vocabulary
from memtop.engine.session.model_sources import build_architecture

where = Path(sys.argv[1])
# The same weights every time (generation still samples: tests/test_models_by_task.py).
keras.utils.set_random_seed(0)
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

# Stable Diffusion 3 as keras-hub's own test builds it (tiny MMDiT, VAE and two CLIP encoders),
# in float32, with a CLIP vocabulary that holds every token its merges use.
letters = "abcdefghijklmnopqrstuvwxyz"
clip_merges = ["a i", "p l", "n e</w>", "p o", "r t</w>", "ai r", "pl a", "po rt</w>",
               "pla ne</w>"]
clip_tokens = [*letters, *(c + "</w>" for c in letters), *(m.replace(" ", "") for m in clip_merges),
               "<|endoftext|>", "<|startoftext|>"]
clip_vocabulary = {token: i for i, token in enumerate(dict.fromkeys(clip_tokens))}


def clip_preprocessor(**kwargs):
    return CLIPPreprocessor(CLIPTokenizer(clip_vocabulary, clip_merges, **kwargs))


def clip_encoder(width: int, activation: str, name: str):
    return CLIPTextEncoder(len(clip_vocabulary), width, width, 2, 2, 2 * width, activation, -2,
                           name=name)


text_to_image = keras_hub.models.StableDiffusion3TextToImage(
    backbone=keras_hub.models.StableDiffusion3Backbone(
        mmdit_patch_size=2, mmdit_hidden_dim=32, mmdit_num_layers=2, mmdit_num_heads=2,
        mmdit_position_size=192, mmdit_qk_norm=None, mmdit_dual_attention_indices=None,
        vae=VAEBackbone([32] * 4, [1] * 4, [32] * 4, [1] * 4, sampler_method="mode", name="vae"),
        clip_l=clip_encoder(64, "quick_gelu", "clip_l"),
        clip_g=clip_encoder(128, "gelu", "clip_g"), image_shape=(64, 64, 3)),
    preprocessor=keras_hub.models.StableDiffusion3TextToImagePreprocessor(
        clip_preprocessor(pad_with_end_token=True), clip_preprocessor()))
text_to_image.save_to_preset(str(where / "text_to_image"))
