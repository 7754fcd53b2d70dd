// The graph IR: a straight-line list of nodes over activation values, built once per model by
// an architecture builder and run by the Executor for any batch of tokens. Every value is a
// matrix of rows × width floats; rows is the batch's token count, or its output count for
// values downstream of a kSelectOutputs node (prefill usually needs only the last row's logits).
// Nodes reference weights owned elsewhere (the model's WeightStore), never copies.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/linear/linear.h"

namespace lutra::engine::graph {

enum class Op {
  kEmbed,          // out[t] = dequantized row tokens[t] of `embed`
  kRmsNorm,        // out = rmsnorm(in0) · weight, per group of `group` elements
  kLinear,         // out = (in0 · Wᵀ)·scale (+ bias)
  kRope,           // out = in0 rotated by position (rope spec `rope`), heads of `head_dim`
  kAttention,      // out = causal attention of in0 (q) over the cache after storing in1/in2 (k/v)
                   //       (scores scaled by `scale`, 0: 1/√head_dim; soft-capped at `cap` > 0)
  kGatedAct,       // out = act(in0) ∘ in1
  kSoftcap,        // out = cap·tanh(in0 / cap)
  kAdd,            // out = in0 + in1
  kSelectOutputs,  // out = the rows whose outputs were asked for (last or all)
  kQuantizeInt8,   // out = in0 rounded to its row's int8 absmax grid (BitNet activations)
  kSlice,          // out = columns [offset, offset + width) of every row of in0 (fused
                   //       projections: Phi-3's QKV and gate/up matrices)
};

// kGeluTanh: GELU's tanh approximation (Gemma's GeGLU).
enum class Activation { kSilu, kReluSquared, kGeluTanh };

// Rotary position embedding. GGUF "llama" models use the layout llama.cpp calls NORM: dims
// (2j, 2j+1) of a head form a pair rotated by pos·θ_j, θ_j = base^(-2j/n_rot)/freq_factor_j.
// (Hugging Face checkpoints rotate the halves (j, j + d/2) instead; llama.cpp's converter
// permutes the rows of attn_q/attn_k so that the adjacent-pair rotation gives the same
// result, and llama2.c-trained models such as stories260K use adjacent pairs natively.)
// Dims from n_rot to head_dim pass through unrotated.
// The NEOX layout (llama.cpp's name; qwen2/qwen3/bitnet GGUFs keep Hugging Face's row order)
// pairs dims (j, j + n_rot/2) instead, with the same θ_j.
// LongRoPE (Phi-3 128k, Phi-3.5, Phi-4-mini) has two sets of divisors and picks one by the
// context a session is created with, as llama.cpp does: the long set when the context exceeds
// the training context the short set belongs to (long_above), else the short set. Its
// attention factor multiplies cos and sin, so the rotated dims of q and k grow by it (and
// their dot product by its square) while the dims from n_rot on stay as they are.
struct RopeSpec {
  size_t n_rot = 0;
  double base = 10000.0;
  double position_scale = 1.0;      // linear scaling: positions multiplied by 1/factor
  std::vector<float> freq_factors;  // n_rot/2 divisors of θ_j (llama 3.1 rope_freqs, LongRoPE's
                                    // short set), or empty
  bool neox = false;                // pairs (j, j + n_rot/2) instead of (2j, 2j + 1)
  // LongRoPE: above this many positions (0: never) freq_factors_long replaces freq_factors
  // (empty: no divisors, as llama.cpp does when the file has no long set).
  size_t long_above = 0;
  std::vector<float> freq_factors_long = {};
  double attn_factor = 1.0;  // multiplies cos and sin
};

struct Node {
  Op op = Op::kAdd;
  int out = -1;
  int in[3] = {-1, -1, -1};
  const linear::Linear* linear = nullptr;
  const gguf::TensorInfo* embed = nullptr;
  const float* weight = nullptr;  // norm weight (group floats) or linear bias (rows floats)
  size_t group = 0;               // rmsnorm group size; rope/attention head_dim
  float eps = 0.0f;
  float scale = 1.0f;  // embedding scale; linear output scale (per-tensor weight scale);
                       // attention score scale (0: 1/√head_dim)
  float cap = 0.0f;    // soft-cap of attention scores / kSoftcap (0: none)
  size_t layer = 0;    // attention: KV cache layer
  size_t rope = 0;     // index into Graph::ropes()
  size_t offset = 0;   // slice: first column taken from in0
  Activation act = Activation::kSilu;
  std::string label;  // for errors and the plan log
};

struct ValueInfo {
  size_t width = 0;
  bool per_output = false;
};

struct AttentionDims {
  size_t n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  // Per layer: the sliding window (0: none); empty when no layer slides (kv_cache.h).
  std::vector<size_t> window = {};
};

// Builder and container. Builder methods return the new value's id; a call with an invalid
// argument records the first error (see status()) and returns -1, so a builder can chain calls
// and check once at the end.
class Graph {
 public:
  int Embed(const gguf::TensorInfo* table, size_t width, float scale, std::string label);
  int RmsNorm(int x, const float* weight, size_t group, float eps, std::string label);
  // `scale` multiplies the product before the bias (BitNet's per-tensor weight scales).
  int Linear(int x, const linear::Linear* w, const float* bias, std::string label,
             float scale = 1.0f);
  int Rope(int x, size_t head_dim, size_t rope, std::string label);
  // `scale` multiplies q·k (0: 1/√head_dim); `softcap` > 0 caps the scores at ±softcap.
  int Attention(int q, int k, int v, size_t layer, std::string label, float scale = 0.0f,
                float softcap = 0.0f);
  // out = cap·tanh(x / cap), cap > 0 (Gemma 2's final logit soft-capping).
  int Softcap(int x, float cap, std::string label);
  int GatedAct(int gate, int up, Activation act, std::string label);
  int Add(int a, int b, std::string label);
  int SelectOutputs(int x);
  // Columns [offset, offset + width) of x (a fused projection's part).
  int Slice(int x, size_t offset, size_t width, std::string label);
  // Per row: s = max|x|/127, out = s·clamp(nearbyint(x/s), ±127) in fp32 (127/max|x| is
  // computed as a float and multiplied, as the int8-exact LUT path does), so a dense matrix
  // sees the activations a W1.58·A8 BitLinear was trained with. A zero row stays zero.
  int QuantizeInt8(int x, std::string label);
  size_t AddRope(RopeSpec spec);
  // Fixes the shapes used by every attention node and the KV cache.
  void SetAttention(const AttentionDims& dims) { attention_ = dims; }
  // Marks the graph's result (logits); must be per-output.
  void SetOutput(int value);

  const Status& status() const { return status_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<ValueInfo>& values() const { return values_; }
  const std::vector<RopeSpec>& ropes() const { return ropes_; }
  const AttentionDims& attention() const { return attention_; }
  int output() const { return output_; }

 private:
  bool Check(bool ok, const std::string& label, const std::string& what);
  bool Valid(int v) const { return v >= 0 && static_cast<size_t>(v) < values_.size(); }
  int Emit(Node node, size_t width, bool per_output);

  std::vector<Node> nodes_;
  std::vector<ValueInfo> values_;
  std::vector<RopeSpec> ropes_;
  AttentionDims attention_;
  int output_ = -1;
  Status status_;
};

}  // namespace lutra::engine::graph
