#include "engine/src/synthetic/synthetic.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "engine/src/formats/tensor_encode.h"
#include "engine/src/gguf/writer.h"

namespace lutra::engine::synthetic {

using formats::EncodedBytes;
using formats::EncodeWeights;

namespace {

using gguf::TensorType;

uint64_t SplitMix(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Approximately standard normal: Irwin–Hall sum of four 16-bit uniforms from one draw (var
// 4/12, rescaled to 1). One hash per weight keeps a 1.1B model's generation to seconds; the
// tails stop at ±2√3, which is irrelevant for weights that get quantized anyway.
float Normalish(uint64_t* s) {
  const uint64_t r = SplitMix(s);
  const float sum = float((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48));
  return (sum * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

struct TensorSpec {
  std::string name;
  TensorType type;
  uint64_t cols;  // ggml shape[0], contiguous
  uint64_t rows;  // shape[1]; 1 for vectors
  bool norm;      // ≈ 1 + small noise instead of N(0, 1/√cols)
  // > 0: LongRoPE factors, rising from 1 (the fastest frequency) to ramp_to (the slowest) as
  // 1 + (ramp_to − 1)·(j/(cols − 1))², the shape of the published sets.
  float ramp_to = 0.0f;
};

bool IsGemma(const SyntheticLlama& c) {
  return c.arch == "gemma2" || c.arch == "gemma3";
}

uint32_t HeadDim(const SyntheticLlama& c) {
  return c.head_dim ? c.head_dim : c.n_embd / c.n_head;
}

uint32_t RotDims(const SyntheticLlama& c) {
  return c.n_rot ? c.n_rot : HeadDim(c);
}

std::vector<TensorSpec> Tensors(const SyntheticLlama& c) {
  const uint64_t hd = HeadDim(c), q = hd * c.n_head, kv = hd * c.n_head_kv;
  std::vector<TensorSpec> t;
  const bool phi3 = c.arch == "phi3";
  t.push_back({"token_embd.weight", c.embd_type, c.n_embd, c.vocab, false});
  if (c.long_rope) {
    const float ratio = float(c.context) / float(c.original_context);
    t.push_back({"rope_factors_long.weight", TensorType::F32, RotDims(c) / 2, 1, false, ratio});
    t.push_back({"rope_factors_short.weight", TensorType::F32, RotDims(c) / 2, 1, false, 2.0f});
  }
  for (uint32_t l = 0; l < c.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    t.push_back({p + "attn_norm.weight", TensorType::F32, c.n_embd, 1, true});
    if (phi3) {
      t.push_back({p + "attn_qkv.weight", c.weight_type, c.n_embd, q + 2 * kv, false});
    } else {
      t.push_back({p + "attn_q.weight", c.weight_type, c.n_embd, q, false});
      t.push_back({p + "attn_k.weight", c.weight_type, c.n_embd, kv, false});
      t.push_back({p + "attn_v.weight", c.weight_type, c.n_embd, kv, false});
    }
    if (c.arch == "qwen2") {
      t.push_back({p + "attn_q.bias", TensorType::F32, q, 1, false});
      t.push_back({p + "attn_k.bias", TensorType::F32, kv, 1, false});
      t.push_back({p + "attn_v.bias", TensorType::F32, kv, 1, false});
    }
    if (c.arch == "qwen3" || c.arch == "gemma3") {
      t.push_back({p + "attn_q_norm.weight", TensorType::F32, hd, 1, true});
      t.push_back({p + "attn_k_norm.weight", TensorType::F32, hd, 1, true});
    }
    t.push_back({p + "attn_output.weight", c.weight_type, q, c.n_embd, false});
    if (IsGemma(c))
      t.push_back({p + "post_attention_norm.weight", TensorType::F32, c.n_embd, 1, true});
    t.push_back({p + "ffn_norm.weight", TensorType::F32, c.n_embd, 1, true});
    if (phi3) {  // the gate's rows, then the up projection's
      t.push_back({p + "ffn_up.weight", c.weight_type, c.n_embd, 2 * uint64_t(c.n_ff), false});
    } else {
      t.push_back({p + "ffn_gate.weight", c.weight_type, c.n_embd, c.n_ff, false});
      t.push_back({p + "ffn_up.weight", c.weight_type, c.n_embd, c.n_ff, false});
    }
    t.push_back({p + "ffn_down.weight", c.weight_type, c.n_ff, c.n_embd, false});
    if (IsGemma(c)) t.push_back({p + "post_ffw_norm.weight", TensorType::F32, c.n_embd, 1, true});
  }
  t.push_back({"output_norm.weight", TensorType::F32, c.n_embd, 1, true});
  if (!c.tied_output) t.push_back({"output.weight", c.output_type, c.n_embd, c.vocab, false});
  return t;
}

Status Validate(const SyntheticLlama& c) {
  if (c.n_embd == 0 || c.n_layer == 0 || c.n_head == 0 || c.n_head_kv == 0 || c.n_ff == 0 ||
      c.context == 0) {
    return InvalidArgument("synthetic llama: every dimension must be positive");
  }
  if (c.arch != "llama" && c.arch != "qwen2" && c.arch != "qwen3" && !IsGemma(c) &&
      c.arch != "phi3") {
    return InvalidArgument("synthetic model: unknown architecture '" + c.arch +
                           "' (known: llama, qwen2, qwen3, gemma2, gemma3, phi3)");
  }
  if (c.head_dim == 0 ? c.n_embd % c.n_head != 0 || (c.n_embd / c.n_head) % 2 != 0
                      : c.head_dim % 2 != 0) {
    return InvalidArgument("synthetic llama: n_embd " + std::to_string(c.n_embd) +
                           " is not n_head × an even head size");
  }
  if (c.n_rot % 2 != 0 || c.n_rot > HeadDim(c)) {
    return InvalidArgument("synthetic llama: n_rot " + std::to_string(c.n_rot) +
                           " is not even or above the head size " + std::to_string(HeadDim(c)));
  }
  if ((c.long_rope || c.original_context != 0 || c.rope_attn_factor != 1.0f) && c.arch != "phi3") {
    return InvalidArgument(
        "synthetic llama: LongRoPE (original_context, long_rope, "
        "rope_attn_factor) is written for phi3 only");
  }
  if (c.long_rope && (c.original_context == 0 || c.original_context > c.context)) {
    return InvalidArgument("synthetic llama: LongRoPE needs an original context in 1..context");
  }
  if (!(c.rope_attn_factor > 0) || !std::isfinite(c.rope_attn_factor)) {
    return InvalidArgument("synthetic llama: rope_attn_factor must be positive and finite");
  }
  if (c.n_head % c.n_head_kv != 0) {
    return InvalidArgument("synthetic llama: n_head " + std::to_string(c.n_head) +
                           " is not a multiple of n_head_kv " + std::to_string(c.n_head_kv));
  }
  if (c.vocab < (c.arch == "phi3" ? 264u : 259u)) {
    return InvalidArgument("synthetic llama: vocab " + std::to_string(c.vocab) +
                           " < 259 (3 specials + 256 byte tokens; phi3: 5 chat markers more)");
  }
  if (!(c.rope_theta > 0) || !(c.rms_eps > 0)) {
    return InvalidArgument("synthetic llama: rope theta and rms eps must be positive");
  }
  for (const TensorSpec& t : Tensors(c)) {
    if (EncodedBytes(t.type, t.cols) == 0) {
      return InvalidArgument("synthetic llama: " + t.name + " rows of " + std::to_string(t.cols) +
                             " weights cannot be stored as " +
                             std::string(gguf::type_traits(uint32_t(t.type))
                                             ? gguf::type_traits(uint32_t(t.type))->name
                                             : "this type") +
                             " (unsupported type or not a whole number of blocks)");
    }
  }
  return {};
}

// SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte-fallback tokens, then
// printable pieces (with and without the ▁ word marker) of growing length, scored so that
// earlier pieces merge first.
void AddVocabulary(const SyntheticLlama& c, gguf::Writer* w) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  char hex[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(hex, sizeof hex, "<0x%02X>", b);
    tokens.emplace_back(hex);
    scores.push_back(0);
    types.push_back(6);
  }
  const std::string marker = "\xe2\x96\x81";
  std::vector<std::string> pieces = {marker};
  for (char ch = 33; ch < 127; ++ch) pieces.emplace_back(1, ch);
  for (char ch = 33; ch < 127; ++ch) pieces.push_back(marker + std::string(1, ch));
  std::vector<std::string> level = {""};
  while (tokens.size() + pieces.size() < c.vocab) {
    std::vector<std::string> next;
    for (const std::string& s : level) {
      for (char ch = 'a'; ch <= 'z'; ++ch) next.push_back(s + ch);
    }
    for (const std::string& s : next) {
      if (s.size() < 2) continue;
      pieces.push_back(s);
      pieces.push_back(marker + s);
    }
    level = std::move(next);
  }
  // Phi-3's chat markers close its vocabulary as control tokens (ids 32000 on in its files);
  // llama.cpp looks "<|endoftext|>" up in every vocabulary of a model named phi3.
  std::vector<std::string> tail;
  if (c.arch == "phi3")
    tail = {"<|endoftext|>", "<|assistant|>", "<|end|>", "<|system|>", "<|user|>"};
  for (size_t i = 0; tokens.size() + tail.size() < c.vocab; ++i) {
    tokens.push_back(pieces[i]);
    scores.push_back(-float(i));
    types.push_back(1);
  }
  for (const std::string& t : tail) {
    tokens.push_back(t);
    scores.push_back(0);
    types.push_back(3);
  }
  w->set_string("tokenizer.ggml.model", "llama");
  w->set_string_array("tokenizer.ggml.tokens", tokens);
  w->set_array("tokenizer.ggml.scores", gguf::ValueType::F32, scores.data(), scores.size());
  w->set_array("tokenizer.ggml.token_type", gguf::ValueType::I32, types.data(), types.size());
  w->set_u32("tokenizer.ggml.unknown_token_id", 0);
  w->set_u32("tokenizer.ggml.bos_token_id", 1);
  w->set_u32("tokenizer.ggml.eos_token_id", 2);
  w->set_bool("tokenizer.ggml.add_bos_token", true);
  w->set_bool("tokenizer.ggml.add_eos_token", false);
}

// A uniform in [0, 1) from one draw (24 bits: exact in float).
float Uniform(uint64_t* s) {
  return float(SplitMix(s) >> 40) * (1.0f / 16777216.0f);
}

// Ternary types hold what ternary-trained models (BitNet b1.58) hold: γ·{−1, 0, +1} with one
// γ per tensor, the absmean E|x| = σ·√(2/π) of the N(0, σ²) weights, so every block stores
// the same scale as in real TQ1_0/TQ2_0/I2_S files, not a per-block maximum of noise.
// I2_S stores γ once per tensor, after the last block, while the tensor is streamed a few rows
// at a time: γ must be known before the first row, which a per-tensor constant is (rows are
// coded against it as they stream and the tail is written last). Its γ also gets a factor in
// [0.75, 1.25) drawn from the tensor's seed, so that the tensors' tails differ and a reader
// that took another tensor's scale (or none) gives wrong logits in the tests. TQ1_0/TQ2_0
// keep the plain γ: their files stay byte for byte what they were.
float TernaryScale(const TensorSpec& t, uint64_t* state) {
  const float gamma = (1.0f / std::sqrt(float(t.cols))) * 0.7978846f;  // as the weights' σ
  return t.type == TensorType::I2_S ? gamma * (0.75f + 0.5f * Uniform(state)) : gamma;
}

bool IsTernary(TensorType type) {
  return type == TensorType::TQ1_0 || type == TensorType::TQ2_0 || type == TensorType::I2_S;
}

// n·cols weights: N(0, 1/cols), or ≈ 1 for norms, or γ·{−1, 0, +1} for ternary matrices.
void GenerateRows(const TensorSpec& t, uint64_t n, float gamma, uint64_t* state, float* x) {
  const float scale = 1.0f / std::sqrt(float(t.cols));
  const bool ternary = IsTernary(t.type) && !t.norm;
  for (uint64_t i = 0; i < n * t.cols; ++i) {
    if (t.ramp_to > 0.0f) {
      const float u = t.cols > 1 ? float(i % t.cols) / float(t.cols - 1) : 0.0f;
      x[i] = 1.0f + (t.ramp_to - 1.0f) * u * u;
      continue;
    }
    x[i] = t.norm ? 1.0f + 0.05f * Normalish(state) : scale * Normalish(state);
    if (ternary) {
      // γ·clamp(round-half-even(x/γ), −1, 1) by comparisons, branch-free (the signs are
      // random); std::nearbyint was a libm call per weight.
      const float v = x[i] / gamma;
      x[i] = gamma * float(int(v > 0.5f) - int(v < -0.5f));
    }
  }
}

// Bytes of one row: I2_S rows are blocks only (the tensor's tail comes once, at the end).
size_t RowBytes(const TensorSpec& t) {
  if (t.type == TensorType::I2_S) return EncodedBytes(t.type, t.cols) - formats::kI2STailBytes;
  return EncodedBytes(t.type, t.cols);
}

void EncodeRow(const TensorSpec& t, const float* x, float gamma, uint8_t* out) {
  if (t.type == TensorType::I2_S) {
    formats::EncodeI2SBlocks(x, t.cols, gamma, out);
  } else {
    EncodeWeights(t.type, x, t.cols, out);
  }
}

gguf::TensorProducer Producer(const TensorSpec& t, uint64_t seed) {
  return [t, seed](gguf::ByteSink& out) -> Status {
    uint64_t state = seed;
    const float gamma = TernaryScale(t, &state);  // before any row: see TernaryScale
    const size_t row_bytes = RowBytes(t);
    // ~1 MiB of fp32 per chunk: few sink calls, small footprint.
    const uint64_t chunk = std::max<uint64_t>(1, (uint64_t(1) << 18) / t.cols);
    std::vector<float> x(std::min(chunk, t.rows) * t.cols);
    std::vector<uint8_t> bytes(std::min(chunk, t.rows) * row_bytes);
    for (uint64_t r = 0; r < t.rows; r += chunk) {
      const uint64_t n = std::min(chunk, t.rows - r);
      GenerateRows(t, n, gamma, &state, x.data());
      for (uint64_t i = 0; i < n; ++i) {
        EncodeRow(t, x.data() + i * t.cols, gamma, bytes.data() + i * row_bytes);
      }
      if (!out.put(bytes.data(), n * row_bytes)) return IoError("write failed");
    }
    if (t.type == TensorType::I2_S) {
      uint8_t tail[formats::kI2STailBytes];
      formats::EncodeI2STail(gamma, tail);
      if (!out.put(tail, sizeof tail)) return IoError("write failed");
    }
    return {};
  };
}

}  // namespace

bool SyntheticRowsFit(gguf::TensorType type, uint64_t cols) {
  return EncodedBytes(type, cols) != 0;
}

std::vector<std::string> SyntheticPresetNames() {
  return {"tinyllama-1.1b", "llama2-7b", "llama3-8b",   "qwen2.5-0.5b", "qwen3-0.6b", "gemma3-1b",
          "gemma2-2b",      "phi3-mini", "phi3.5-mini", "phi4-mini",    "tiny",       "tiny-gqa4",
          "tiny-tied",      "small",     "tiny-gemma3", "tiny-gemma2",  "tiny-phi3"};
}

Expected<SyntheticLlama> SyntheticPreset(const std::string& name) {
  SyntheticLlama c;
  c.name = name;
  if (name == "tinyllama-1.1b") {
    c.n_embd = 2048, c.n_layer = 22, c.n_head = 32, c.n_head_kv = 4, c.n_ff = 5632;
    c.vocab = 32000, c.context = 2048, c.rope_theta = 10000.0f, c.rms_eps = 1e-5f;
    return c;
  }
  if (name == "llama2-7b") {
    c.n_embd = 4096, c.n_layer = 32, c.n_head = 32, c.n_head_kv = 32, c.n_ff = 11008;
    c.vocab = 32000, c.context = 4096;
    return c;
  }
  if (name == "llama3-8b") {
    c.n_embd = 4096, c.n_layer = 32, c.n_head = 32, c.n_head_kv = 8, c.n_ff = 14336;
    c.vocab = 128256, c.context = 8192, c.rope_theta = 500000.0f;
    return c;
  }
  if (name == "qwen2.5-0.5b") {
    c.arch = "qwen2", c.n_embd = 896, c.n_layer = 24, c.n_head = 14, c.n_head_kv = 2;
    c.n_ff = 4864, c.vocab = 151936, c.context = 32768, c.rope_theta = 1000000.0f;
    c.rms_eps = 1e-6f, c.tied_output = true;
    return c;
  }
  if (name == "qwen3-0.6b") {
    c.arch = "qwen3", c.n_embd = 1024, c.n_layer = 28, c.n_head = 16, c.n_head_kv = 8;
    c.head_dim = 128, c.n_ff = 3072, c.vocab = 151936, c.context = 40960;
    c.rope_theta = 1000000.0f, c.rms_eps = 1e-6f, c.tied_output = true;
    return c;
  }
  if (name == "gemma3-1b") {
    c.arch = "gemma3", c.n_embd = 1152, c.n_layer = 26, c.n_head = 4, c.n_head_kv = 1;
    c.head_dim = 256, c.n_ff = 6912, c.vocab = 262144, c.context = 32768;
    c.rope_theta = 1000000.0f, c.rms_eps = 1e-6f, c.tied_output = true, c.sliding_window = 512;
    return c;
  }
  if (name == "gemma2-2b") {
    c.arch = "gemma2", c.n_embd = 2304, c.n_layer = 26, c.n_head = 8, c.n_head_kv = 4;
    c.head_dim = 256, c.n_ff = 9216, c.vocab = 256000, c.context = 8192;
    c.rms_eps = 1e-6f, c.tied_output = true, c.sliding_window = 4096;
    c.attn_softcap = 50.0f, c.final_softcap = 30.0f;
    return c;
  }
  // Phi-3-mini-4k: Hugging Face's Phi3Config defaults (documented as that checkpoint) and its
  // config.json's sliding_window 2047 (llama.cpp's default for such files without the key).
  if (name == "phi3-mini") {
    c.arch = "phi3", c.n_embd = 3072, c.n_layer = 32, c.n_head = 32, c.n_head_kv = 32;
    c.n_ff = 8192, c.vocab = 32064, c.context = 4096, c.original_context = 4096;
    c.sliding_window = 2047;
    return c;
  }
  // Phi-3.5-mini: Phi-3-mini's shape at a 131072 context over LongRoPE from 4096 (attention
  // factor √(1 + ln 32 / ln 4096), as llama.cpp's converter computes it), window 262144.
  if (name == "phi3.5-mini" || name == "phi4-mini") {
    c.arch = "phi3", c.n_embd = 3072, c.n_layer = 32, c.n_head = 32, c.n_head_kv = 32;
    c.n_ff = 8192, c.vocab = 32064, c.context = 131072, c.original_context = 4096;
    c.long_rope = true;
    c.rope_attn_factor = std::sqrt(1.0f + std::log(32.0f) / std::log(4096.0f));
    c.sliding_window = 262144;
    // Phi-4-mini (ExecuTorch's config.json for it, Hugging Face's Phi-4-mini config):
    // 24/8 heads of 128 with partial_rotary_factor 0.75 (96 dims: llama.cpp's converter writes
    // int(0.75 · 3072) / 24), vocab 200064, tied embeddings.
    if (name == "phi4-mini") {
      c.n_head = 24, c.n_head_kv = 8, c.n_rot = 96, c.vocab = 200064, c.tied_output = true;
    }
    return c;
  }
  if (name == "tiny") return c;  // the struct defaults: 64 dim, 2 layers, 4/2 heads
  if (name == "tiny-gqa4") {
    c.n_embd = 128, c.n_head = 8, c.n_head_kv = 2, c.n_ff = 256;
    return c;
  }
  if (name == "tiny-tied") {
    c.tied_output = true, c.n_head_kv = 4;
    return c;
  }
  if (name == "small") {
    c.n_embd = 256, c.n_layer = 4, c.n_head = 8, c.n_head_kv = 4, c.n_ff = 768;
    c.vocab = 1024, c.context = 512, c.rope_theta = 500000.0f;
    return c;
  }
  if (name == "tiny-gemma3") {  // layers 0-4 and 6 slide, 5 is global
    c.arch = "gemma3", c.n_layer = 7, c.n_head_kv = 1, c.head_dim = 32;
    c.rope_theta = 1000000.0f, c.rms_eps = 1e-6f, c.tied_output = true, c.sliding_window = 8;
    return c;
  }
  if (name == "tiny-gemma2") {  // layer 0 slides, 1 is global
    c.arch = "gemma2", c.rms_eps = 1e-6f, c.tied_output = true, c.sliding_window = 8;
    c.attn_softcap = 50.0f, c.final_softcap = 30.0f;
    return c;
  }
  if (name == "tiny-phi3") {  // context 256 over an original 16: LongRoPE's long set above 16
    c.arch = "phi3", c.n_rot = 12, c.original_context = 16, c.long_rope = true;
    c.rope_attn_factor = std::sqrt(2.0f);  // √(1 + ln 16 / ln 16)
    c.sliding_window = 8, c.tied_output = true;
    return c;
  }
  std::string known;
  for (const std::string& n : SyntheticPresetNames()) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown synthetic preset '" + name + "' (known: " + known + ")");
}

Status WriteSyntheticLlama(const SyntheticLlama& c, const std::string& path) {
  if (Status s = Validate(c); !s) return s;
  gguf::Writer w;
  const std::string& a = c.arch;
  w.set_string("general.architecture", a);
  w.set_string("general.name", c.name);
  w.set_u32(a + ".context_length", c.context);
  w.set_u32(a + ".embedding_length", c.n_embd);
  w.set_u32(a + ".block_count", c.n_layer);
  w.set_u32(a + ".feed_forward_length", c.n_ff);
  w.set_u32(a + ".attention.head_count", c.n_head);
  w.set_u32(a + ".attention.head_count_kv", c.n_head_kv);
  w.set_f32(a + ".rope.freq_base", c.rope_theta);
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", c.rms_eps);
  w.set_u32(a + ".rope.dimension_count", RotDims(c));
  if (c.head_dim != 0) {
    w.set_u32(a + ".attention.key_length", c.head_dim);
    w.set_u32(a + ".attention.value_length", c.head_dim);
  }
  w.set_u32(a + ".vocab_size", c.vocab);
  if (c.sliding_window > 0 || a == "phi3") {
    w.set_u32(a + ".attention.sliding_window", c.sliding_window);
  }
  if (c.original_context > 0) {
    w.set_u32(a + ".rope.scaling.original_context_length", c.original_context);
  }
  if (c.long_rope) w.set_f32(a + ".rope.scaling.attn_factor", c.rope_attn_factor);
  if (c.attn_softcap > 0) w.set_f32(a + ".attn_logit_softcapping", c.attn_softcap);
  if (c.final_softcap > 0) w.set_f32(a + ".final_logit_softcapping", c.final_softcap);
  AddVocabulary(c, &w);
  const std::vector<TensorSpec> tensors = Tensors(c);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorSpec& t = tensors[i];
    uint64_t seed = c.seed * 0x100000001b3ull + i;
    SplitMix(&seed);
    std::vector<uint64_t> shape = {t.cols};
    if (t.rows > 1) shape.push_back(t.rows);
    if (Status s = w.add_tensor_stream(t.name, t.type, shape, Producer(t, seed)); !s) return s;
  }
  return w.write(path);
}

}  // namespace lutra::engine::synthetic
