#include "engine/src/sampler/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lutra::engine::sampler {

Status ValidateParams(const SamplerParams& p) {
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature)) {
    return InvalidArgument("sampler: temperature must be finite and ≥ 0 (got " +
                           std::to_string(p.temperature) + ")");
  }
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) {
    return InvalidArgument("sampler: top_p must be in (0, 1] (got " + std::to_string(p.top_p) +
                           ")");
  }
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) {
    return InvalidArgument("sampler: min_p must be in [0, 1] (got " + std::to_string(p.min_p) +
                           ")");
  }
  if (!(p.repetition_penalty > 0.0f) || !std::isfinite(p.repetition_penalty)) {
    return InvalidArgument("sampler: repetition_penalty must be finite and > 0 (got " +
                           std::to_string(p.repetition_penalty) + ")");
  }
  if (!std::isfinite(p.presence_penalty) || !std::isfinite(p.frequency_penalty)) {
    return InvalidArgument("sampler: presence_penalty and frequency_penalty must be finite");
  }
  return Status::Ok();
}

Status Sampler::Create(const SamplerParams& params, size_t vocab, arch::IsaSet features,
                       Sampler* out) {
  return Create(params, vocab, KernelConfig::For(features), out);
}

Status Sampler::Create(const SamplerParams& params, size_t vocab, const KernelConfig& config,
                       Sampler* out) {
  if (Status s = ValidateParams(params); !s.ok()) return s;
  if (vocab == 0 || vocab > size_t(std::numeric_limits<int32_t>::max())) {
    return InvalidArgument("sampler: vocabulary size " + std::to_string(vocab) + " out of range");
  }
  Sampler s;
  s.params_ = params;
  s.vocab_ = vocab;
  s.softmax_ = config.softmax2p().fn;
  s.probs_.resize(vocab);
  s.order_.resize(vocab);
  s.counts_.assign(vocab, 0);
  s.Reseed(params.seed);
  *out = std::move(s);
  return Status::Ok();
}

void Sampler::Reseed(uint64_t seed) {
  // SplitMix64 expands the seed into xoshiro's state (never all zero).
  for (uint64_t& w : state_) {
    seed += 0x9e3779b97f4a7c15ull;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    w = z ^ (z >> 31);
  }
}

uint64_t Sampler::Next() {
  // xoshiro256**
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double Sampler::NextUniform() {
  return double(Next() >> 11) * 0x1p-53;
}

void Sampler::ApplyPenalties(std::span<float> logits, std::span<const int32_t> window) {
  for (int32_t t : window) ++counts_[size_t(t)];
  for (int32_t t : window) {
    uint32_t& c = counts_[size_t(t)];
    if (c == 0) continue;  // already applied for this token
    float& l = logits[size_t(t)];
    const float r = params_.repetition_penalty;
    l = l > 0.0f ? l / r : l * r;
    l -= params_.presence_penalty + params_.frequency_penalty * float(c);
    c = 0;
  }
}

Status Sampler::Sample(std::span<float> logits, std::span<const int32_t> recent, int32_t* token) {
  if (logits.size() != vocab_) {
    return Internal("sampler: " + std::to_string(logits.size()) + " logits, vocabulary has " +
                    std::to_string(vocab_));
  }
  const size_t w = std::min(recent.size(), params_.penalty_window);
  const auto window = recent.subspan(recent.size() - w);
  for (int32_t t : window) {
    if (t < 0 || size_t(t) >= vocab_) {
      return Internal("sampler: history token " + std::to_string(t) + " outside the vocabulary");
    }
  }
  ApplyPenalties(logits, window);

  // Greedy: the first maximum (NaN logits never win).
  size_t best = vocab_;
  for (size_t i = 0; i < vocab_; ++i) {
    if (std::isnan(logits[i])) continue;
    if (best == vocab_ || logits[i] > logits[best]) best = i;
  }
  if (best == vocab_ || logits[best] == -INFINITY) {
    return Internal("sampler: no finite logit to sample from");
  }
  if (params_.temperature == 0.0f || params_.top_k == 1) {
    *token = int32_t(best);
    return Status::Ok();
  }

  // Candidates sorted by logit (descending, ties by token id so the order is deterministic),
  // cut to top_k first: sorting only the kept prefix.
  const size_t k = params_.top_k == 0 ? vocab_ : std::min(params_.top_k, vocab_);
  for (size_t i = 0; i < vocab_; ++i) order_[i] = int32_t(i);
  auto greater = [&](int32_t a, int32_t b) {
    const float la = std::isnan(logits[a]) ? -INFINITY : logits[a];
    const float lb = std::isnan(logits[b]) ? -INFINITY : logits[b];
    return la > lb || (la == lb && a < b);
  };
  std::partial_sort(order_.begin(), order_.begin() + ptrdiff_t(k), order_.end(), greater);

  // Softmax over the kept candidates with 1/temperature as the fused scale.
  for (size_t i = 0; i < k; ++i) {
    const float l = logits[size_t(order_[i])];
    probs_[i] = std::isnan(l) ? -INFINITY : l;
  }
  softmax_(k, probs_.data(), nullptr, 1.0f / params_.temperature, probs_.data());

  // min-p then top-p: both keep a prefix of the sorted candidates (always at least one).
  size_t keep = k;
  if (params_.min_p > 0.0f) {
    const float floor = params_.min_p * probs_[0];
    size_t m = 1;
    while (m < keep && probs_[m] >= floor) ++m;
    keep = m;
  }
  if (params_.top_p < 1.0f) {
    double cum = 0.0;
    size_t m = 0;
    while (m < keep) {
      cum += probs_[m++];
      if (cum >= params_.top_p) break;
    }
    keep = m;
  }
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i) total += probs_[i];
  const double u = NextUniform() * total;
  double cum = 0.0;
  size_t pick = 0;
  for (; pick + 1 < keep; ++pick) {
    cum += probs_[pick];
    if (u < cum) break;
  }
  // Zero-probability candidates (underflow) are never picked: fall back to the last positive.
  while (pick > 0 && probs_[pick] == 0.0f) --pick;
  *token = order_[pick];
  return Status::Ok();
}

}  // namespace lutra::engine::sampler
