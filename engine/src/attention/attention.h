// Causal multi-head attention over the KV cache, for one decode token or a prefill block:
//   out_h,i = softmax(cap(s · q_h,i · K_g[lo..p0+i]ᵀ)) · V_g[lo..p0+i],  g = h / (n_head /
//   n_head_kv)
// with s = 1/√d unless the caller gives a scale, cap(x) = c·tanh(x/c) when a soft-cap c is
// given (Gemma 2) and the identity otherwise, lo = 0, or p0 + i − W + 1 on a layer with a
// sliding window W (kv_cache.h).
// Work is split by (KV head, block of query rows): the rows of a unit are every query head
// sharing that KV head times up to kQueryBlock positions. The cache is dimension-major; the
// attn kernels (kernels/attn) stream each K and V element once per unit and apply it to all
// the unit's rows from registers (scores S = Q·K over the positions, then O = P·V), so decode
// reads the cache at close to memory speed. A unit's score rows stay in cache, so their softmax
// is the stored three-pass kernel (one exponential per score; the two-pass kernel, made for
// rows streamed from memory, computes two).
// A sliding-window layer reads the slots that hold the unit's positions: one range of whole
// key blocks, or two when it wraps around the ring (scores side by side, values summed); the
// slots outside a row's window (and after its position) get −∞ before the softmax.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "arch/isa.h"
#include "engine/src/attention/kv_cache.h"
#include "engine/src/common/threadpool.h"
#include "kernels/attn/attn.h"
#include "kernels/f16/f16.h"
#include "kernels/softmax2p/softmax2p.h"
#include "kernels/vec/vec.h"

namespace lutra::engine::attention {

struct AttentionShape {
  size_t n_head = 0;
  size_t n_head_kv = 0;
  size_t head_dim = 0;
  size_t max_seq = 0;     // longest context the scratch is sized for
  size_t max_tokens = 0;  // most query positions per Run (prefill block)
};

// How scores are formed from q·k (per layer: the graph's attention node).
struct ScoreOptions {
  float scale = 0.0f;    // multiplies q·k; 0: 1/√head_dim
  float softcap = 0.0f;  // > 0: scores become softcap·tanh(score/softcap) before the softmax
};

class Attention {
 public:
  // Validates the shape (n_head a multiple of n_head_kv, sizes ≥ 1), takes its kernels from
  // `config` and sizes the scratch once for `threads` workers (no allocation in Run).
  static Status Create(const AttentionShape& shape, const KernelConfig& config, size_t threads,
                       Attention* out);

  // q and out: n rows of n_head × head_dim floats, for positions [p0, p0 + n). The cache must
  // hold at least p0 + n positions of `layer` (the new tokens' K/V written first).
  Status Run(const KvCache& cache, size_t layer, size_t p0, size_t n, const float* q, float* out,
             ThreadPool& pool, const ScoreOptions& options = {});

  static constexpr size_t kQueryBlock = 4;

  // The kernels Run calls (tests compare them with what lutra-sysinfo reports).
  kernels::softmax2p::SoftmaxFn softmax() const { return softmax_; }
  const kernels::attn::AttnOps& attn() const { return attn_; }

 private:
  struct UnitArgs {
    const KvCache* cache;
    size_t layer, p0, n;
    const float* q;
    float* out;
    float scale, softcap;
  };
  void RunUnit(const UnitArgs& a, size_t unit, float* scores, float* rows_buf) const;
  // Q·K over `count` slots from `slot` (a key-block boundary) into scores[.., 0..count), and
  // P·V of the same slots.
  void Qk(const KvCache& cache, size_t layer, size_t g, size_t rows, const float* qrows,
          size_t slot, size_t count, float* scores) const;
  void Pv(const KvCache& cache, size_t layer, size_t g, size_t rows, const float* p, size_t slot,
          size_t count, float* orows) const;

  AttentionShape shape_;
  size_t ratio_ = 1;
  size_t rows_per_unit_ = 0;
  size_t workers_ = 1;
  kernels::softmax2p::SoftmaxFn softmax_ = nullptr;
  kernels::attn::AttnOps attn_{};
  kernels::vec::SoftcapFn softcap_ = nullptr;
  kernels::vec::BinaryFn add_ = nullptr;
  std::vector<float> scratch_;  // workers × rows_per_unit × max_seq scores
  std::vector<float> rows_;     // workers × 3 × rows_per_unit × head_dim: Q, O, O of a 2nd range
};

}  // namespace lutra::engine::attention
