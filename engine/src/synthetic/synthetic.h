// Synthetic GGUF models (llama, qwen2, qwen3, gemma2, gemma3, phi3 architectures) with seeded
// random weights, for tests
// and benchmarks that need realistic shapes without downloads. Tensors are generated and encoded
// while the file is written (gguf::Writer::add_tensor_stream), a few rows at a time, so a
// 1.1B-parameter model needs only a few MiB of memory. Ternary types (TQ1_0, TQ2_0, I2_S) get
// ternary-trained-like weights, γ·{−1, 0, +1} with γ fixed per tensor before its first row:
// I2_S stores that γ once, after the last block, so its rows are coded as they stream.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/gguf/types.h"

namespace lutra::engine::synthetic {

struct SyntheticLlama {
  // "llama", "qwen2" (adds Q/K/V biases), "qwen3" (adds per-head Q/K RMSNorm weights),
  // "gemma2" (adds post-attention and post-FFN norms), "gemma3" (both norms) or "phi3" (fused
  // attn_qkv and gate/up ffn_up matrices, attention.sliding_window always written, as
  // llama.cpp's converter does, 0 for none); the metadata keys use the architecture's prefix.
  std::string arch = "llama";
  uint32_t n_embd = 64;
  uint32_t n_layer = 2;
  uint32_t n_head = 4;
  uint32_t n_head_kv = 2;
  uint32_t n_ff = 128;
  uint32_t head_dim = 0;  // 0: n_embd / n_head (qwen3 decouples it)
  uint32_t n_rot = 0;     // rotated dims per head (rope.dimension_count); 0: the head size
  uint32_t vocab = 320;   // ≥ 259: <unk>, <s>, </s> and the 256 byte tokens come first
  uint32_t context = 256;
  float rope_theta = 10000.0f;
  float rms_eps = 1e-5f;
  bool tied_output = false;  // no output.weight: the output reuses token_embd
  // gemma2/gemma3 keys, written when > 0: attention.sliding_window, attn_logit_softcapping,
  // final_logit_softcapping.
  uint32_t sliding_window = 0;
  float attn_softcap = 0.0f;
  float final_softcap = 0.0f;
  // phi3: rope.scaling.original_context_length when > 0; long_rope adds LongRoPE's factor
  // tensors (rope_factors_short ≈ 1, rope_factors_long rising from 1 to context /
  // original_context over the frequencies, as the real ones do) and rope.scaling.attn_factor.
  uint32_t original_context = 0;
  bool long_rope = false;
  float rope_attn_factor = 1.0f;
  gguf::TensorType weight_type = gguf::TensorType::F32;  // attention and FFN matrices
  gguf::TensorType embd_type = gguf::TensorType::F32;    // token_embd.weight
  gguf::TensorType output_type = gguf::TensorType::F32;  // output.weight (untied)
  uint64_t seed = 1;
  std::string name = "synthetic-llama";
};

// Named shapes of public models (weights random): "tinyllama-1.1b" (2048 dim, 22 layers,
// 32/4 heads, ffn 5632, vocab 32000), "llama2-7b" (4096, 32 layers, 32/32 heads, ffn 11008),
// "llama3-8b" (4096, 32 layers, 32/8, ffn 14336, vocab 128256), "qwen2.5-0.5b" (896, 24
// layers, 14/2, ffn 4864, vocab 151936, tied), "qwen3-0.6b" (1024, 28 layers, 16/8 heads of
// 128, ffn 3072, tied), "gemma3-1b" (1152, 26 layers, 4/1 heads of 256, ffn 6912, vocab 262144,
// window 512, tied), "gemma2-2b" (2304, 26 layers, 8/4 heads of 256, ffn 9216, vocab 256000,
// window 4096, soft-caps 50/30, tied), "phi3-mini" (Phi-3-mini-4k: 3072, 32 layers, 32/32 heads
// of 96, ffn 8192, vocab 32064, context 4096, window 2047), "phi3.5-mini" (the same at context
// 131072 with LongRoPE, window 262144), "phi4-mini" (3072, 32 layers, 24/8 heads of 128 rotating
// 96 dims, ffn 8192, vocab 200064, context 131072 with LongRoPE, window 262144, tied); and small
// test shapes "tiny" (64 dim), "tiny-gqa4" (4:1 GQA), "tiny-tied", "small" (256 dim, 4 layers),
// "tiny-gemma3" (7 layers: one global, window 8), "tiny-gemma2" (2 layers, window 8),
// "tiny-phi3" (Phi-4-mini's features: 12 of 16 dims rotated, LongRoPE over an original context
// of 16, window 8, tied). An unknown name gives an error listing these.
Expected<SyntheticLlama> SyntheticPreset(const std::string& name);
std::vector<std::string> SyntheticPresetNames();

// Whether rows of `cols` weights are whole blocks of `type` (so a tensor of it can be written).
bool SyntheticRowsFit(gguf::TensorType type, uint64_t cols);

// Checks shapes against the chosen types (every matrix row must be a whole number of blocks)
// and writes the model to `path` (temporary file + rename).
Status WriteSyntheticLlama(const SyntheticLlama& config, const std::string& path);

}  // namespace lutra::engine::synthetic
