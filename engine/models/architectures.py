"""Model families memtop builds with random weights, by keras-hub preset name, from the public
configurations (no model hub is needed: memory goes by parameter count and shapes, not values).

`params` is the published size: keras-hub's own preset metadata (`*_presets.py`), which counts
the backbone. A test builds
every full size without allocating (keras.StatelessScope) and compares; the `*_tiny` names are
the same classes at test size. Nothing here imports Keras: the CLI checks names with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Architecture:
    backbone: str  # a keras_hub.models class
    task: str  # the keras_hub.models task class built on it
    config: dict[str, Any]
    params: int | None = None  # the published count (None: a test size)
    task_config: dict[str, Any] = field(default_factory=dict)


def _gemma(layers: int, heads: int, kv: int, hidden: int, intermediate: int,
           gemma2: bool = False) -> dict[str, Any]:
    config: dict[str, Any] = {
        "vocabulary_size": 256000, "num_layers": layers, "num_query_heads": heads,
        "num_key_value_heads": kv, "hidden_dim": hidden, "intermediate_dim": intermediate,
        "head_dim": 256}
    if gemma2:
        config.update(query_head_dim_normalize=True, use_post_ffw_norm=True,
                      use_post_attention_norm=True, final_logit_soft_cap=30.0,
                      attention_logit_soft_cap=50.0, use_sliding_window_attention=True,
                      sliding_window_size=4096)
    return config


def _decoder(vocabulary: int, layers: int, heads: int, kv: int, hidden: int, intermediate: int,
             **extra: Any) -> dict[str, Any]:
    return {"vocabulary_size": vocabulary, "num_layers": layers, "num_query_heads": heads,
            "num_key_value_heads": kv, "hidden_dim": hidden, "intermediate_dim": intermediate,
            **extra}


_LLAMA3 = {"rope_max_wavelength": 500000}
_RESNET50 = {"input_conv_filters": [64], "input_conv_kernel_sizes": [7],
             "stackwise_num_filters": [64, 128, 256, 512], "stackwise_num_blocks": [3, 4, 6, 3],
             "stackwise_num_strides": [1, 2, 2, 2], "block_type": "bottleneck_block",
             "image_shape": [224, 224, 3]}
_IMAGENET = {"num_classes": 1000}
_TWO_CLASSES = {"num_classes": 2}

ARCHITECTURES: dict[str, Architecture] = {
    "gemma_2b_en": Architecture("GemmaBackbone", "GemmaCausalLM",
                                _gemma(18, 8, 1, 2048, 32768), 2506172416),
    "gemma_7b_en": Architecture("GemmaBackbone", "GemmaCausalLM",
                                _gemma(28, 16, 16, 3072, 49152), 8537680896),
    "gemma2_2b_en": Architecture("GemmaBackbone", "GemmaCausalLM",
                                 _gemma(26, 8, 4, 2304, 18432, gemma2=True), 2614341888),
    "gemma2_9b_en": Architecture("GemmaBackbone", "GemmaCausalLM",
                                 _gemma(42, 16, 8, 3584, 28672, gemma2=True), 9241705984),
    "llama3.2_1b": Architecture("Llama3Backbone", "Llama3CausalLM",
                                _decoder(128256, 16, 32, 8, 2048, 8192, **_LLAMA3), 1498482688),
    "llama3.2_3b": Architecture("Llama3Backbone", "Llama3CausalLM",
                                _decoder(128256, 28, 24, 8, 3072, 8192, **_LLAMA3), 3606752256),
    "llama3_8b_en": Architecture("Llama3Backbone", "Llama3CausalLM",
                                 _decoder(128256, 32, 32, 8, 4096, 14336, **_LLAMA3), 8030261248),
    "mistral_7b_en": Architecture("MistralBackbone", "MistralCausalLM",
                                  _decoder(32000, 32, 32, 8, 4096, 14336, sliding_window=4096),
                                  7241732096),
    "phi3_mini_4k_instruct_en": Architecture("Phi3Backbone", "Phi3CausalLM",
                                             _decoder(32064, 32, 32, 32, 3072, 8192), 3821079552),
    "qwen2.5_0.5b_en": Architecture("QwenBackbone", "QwenCausalLM",
                                    _decoder(151936, 24, 14, 2, 896, 4864), 494032768),
    "qwen2.5_3b_en": Architecture("QwenBackbone", "QwenCausalLM",
                                  _decoder(151936, 36, 16, 2, 2048, 11008), 3085938688),
    # keras-hub's metadata says 6,993,420,288; this is Qwen's published 7.62 B (untied head).
    "qwen2.5_7b_en": Architecture("QwenBackbone", "QwenCausalLM",
                                  _decoder(152064, 28, 28, 4, 3584, 18944,
                                           tie_word_embeddings=False), 7615616512),
    "bert_base_en": Architecture("BertBackbone", "BertTextClassifier", {
        "vocabulary_size": 28996, "num_layers": 12, "num_heads": 12, "hidden_dim": 768,
        "intermediate_dim": 3072}, 108310272, _TWO_CLASSES),
    "bert_large_en": Architecture("BertBackbone", "BertTextClassifier", {
        "vocabulary_size": 28996, "num_layers": 24, "num_heads": 16, "hidden_dim": 1024,
        "intermediate_dim": 4096}, 333579264, _TWO_CLASSES),
    "resnet_50_imagenet": Architecture("ResNetBackbone", "ResNetImageClassifier", _RESNET50,
                                       23561152, _IMAGENET),
    "vit_base_patch16_224_imagenet": Architecture("ViTBackbone", "ViTImageClassifier", {
        "image_shape": [224, 224, 3], "patch_size": 16, "num_layers": 12, "num_heads": 12,
        "hidden_dim": 768, "mlp_dim": 3072}, 85798656, _IMAGENET),
}

# Test sizes: the same classes, a few layers of a few units (random weights only).
TINY: dict[str, Architecture] = {
    "gemma_tiny": Architecture("GemmaBackbone", "GemmaCausalLM", {
        **_gemma(2, 2, 1, 32, 64), "vocabulary_size": 300, "head_dim": 16}),
    "gemma2_tiny": Architecture("GemmaBackbone", "GemmaCausalLM", {
        **_gemma(2, 2, 1, 32, 64, gemma2=True), "vocabulary_size": 300, "head_dim": 16,
        "sliding_window_size": 16}),
    "llama3_tiny": Architecture("Llama3Backbone", "Llama3CausalLM",
                                _decoder(300, 2, 4, 2, 32, 64, **_LLAMA3)),
    "mistral_tiny": Architecture("MistralBackbone", "MistralCausalLM",
                                 _decoder(300, 2, 4, 2, 32, 64, sliding_window=16)),
    "phi3_tiny": Architecture("Phi3Backbone", "Phi3CausalLM", _decoder(300, 2, 4, 4, 32, 64)),
    "qwen2.5_tiny": Architecture("QwenBackbone", "QwenCausalLM", _decoder(300, 2, 4, 2, 32, 64)),
    "bert_tiny": Architecture("BertBackbone", "BertTextClassifier", {
        "vocabulary_size": 300, "num_layers": 2, "num_heads": 2, "hidden_dim": 32,
        "intermediate_dim": 64, "max_sequence_length": 128}, None, _TWO_CLASSES),
    "resnet_tiny": Architecture("ResNetBackbone", "ResNetImageClassifier", {
        **_RESNET50, "stackwise_num_filters": [64, 64], "stackwise_num_blocks": [1, 1],
        "stackwise_num_strides": [1, 2], "block_type": "basic_block",
        "image_shape": [32, 32, 3]}, None, {"num_classes": 10}),
    "vit_tiny": Architecture("ViTBackbone", "ViTImageClassifier", {
        "image_shape": [32, 32, 3], "patch_size": 8, "num_layers": 2, "num_heads": 2,
        "hidden_dim": 32, "mlp_dim": 64}, None, {"num_classes": 10}),
}

RANDOM_ARCHITECTURES = {**ARCHITECTURES, **TINY}
