// Token sampler: penalties over a recent-token window, then greedy or temperature sampling
// restricted by top-k, top-p and min-p. Deterministic for a fixed seed on every platform: the
// PRNG is our own (SplitMix64 → xoshiro256**), not std::distributions, whose outputs differ
// between standard libraries. The softmax is the softmax2p kernel (temperature fused as its
// scale).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "arch/isa.h"
#include "engine/src/common/status.h"
#include "engine/src/dispatch/kernel_config.h"
#include "kernels/softmax2p/softmax2p.h"

namespace lutra::engine::sampler {

struct SamplerParams {
  float temperature = 0.8f;         // 0 = greedy; must be ≥ 0 and finite
  size_t top_k = 40;                // 0 = no limit
  float top_p = 0.95f;              // in (0, 1]; 1 = off
  float min_p = 0.05f;              // in [0, 1]; keeps p ≥ min_p · p_max; 0 = off
  float repetition_penalty = 1.0f;  // > 0; logit / r if positive, · r if negative; 1 = off
  float presence_penalty = 0.0f;    // subtracted once from every token in the window
  float frequency_penalty = 0.0f;   // subtracted per occurrence in the window
  size_t penalty_window = 64;       // most recent tokens the penalties look at; 0 = off
  uint64_t seed = 0;
};

// Checks every field; false with a message naming the field and its valid range.
Status ValidateParams(const SamplerParams& p);

class Sampler {
 public:
  // Validates params and sizes the scratch for `vocab` tokens (no allocation per token).
  static Status Create(const SamplerParams& params, size_t vocab, const KernelConfig& config,
                       Sampler* out);
  // With the config of `features` (KernelConfig::For).
  static Status Create(const SamplerParams& params, size_t vocab, arch::IsaSet features,
                       Sampler* out);

  // Picks the next token from `logits` (vocab floats; modified in place by the penalties).
  // `recent` is the token history; its last penalty_window entries are penalised. False (with
  // a message) on a size mismatch, an out-of-range history token or all logits non-finite.
  Status Sample(std::span<float> logits, std::span<const int32_t> recent, int32_t* token);

  // Restarts the generator: the same seed gives the same token sequence again.
  void Reseed(uint64_t seed);

  // Uniform double in [0, 1) from the generator (53 bits), exposed for tests.
  double NextUniform();

  // The kernel the sampler calls (tests compare it with what lutra-sysinfo reports).
  kernels::softmax2p::SoftmaxFn softmax() const { return softmax_; }

 private:
  uint64_t Next();
  void ApplyPenalties(std::span<float> logits, std::span<const int32_t> window);

  SamplerParams params_;
  size_t vocab_ = 0;
  uint64_t state_[4] = {};
  kernels::softmax2p::SoftmaxFn softmax_ = nullptr;
  std::vector<float> probs_;
  std::vector<int32_t> order_;
  std::vector<uint32_t> counts_;
};

}  // namespace lutra::engine::sampler
