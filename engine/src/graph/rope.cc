#include "engine/src/graph/rope.h"

#include <cmath>

namespace lutra::engine::graph {

RopeTable::RopeTable(const RopeSpec& spec, size_t max_positions)
    : pairs_(spec.n_rot / 2),
      positions_(max_positions),
      neox_(spec.neox),
      cos_sin_(max_positions * pairs_ * 2) {
  // LongRoPE: a session whose context is above the short set's training context rotates by
  // the long set throughout (llama.cpp decides by the context size, not by the position).
  const bool long_context = spec.long_above != 0 && max_positions > spec.long_above;
  const std::vector<float>& factors = long_context ? spec.freq_factors_long : spec.freq_factors;
  std::vector<double> theta(pairs_);
  for (size_t j = 0; j < pairs_; ++j) {
    theta[j] = std::pow(spec.base, -2.0 * double(j) / double(spec.n_rot));
    if (!factors.empty()) theta[j] /= double(factors[j]);
  }
  for (size_t p = 0; p < max_positions; ++p) {
    const double pos = double(p) * spec.position_scale;
    float* cs = cos_sin_.data() + p * pairs_ * 2;
    for (size_t j = 0; j < pairs_; ++j) {
      cs[2 * j] = float(spec.attn_factor * std::cos(pos * theta[j]));
      cs[2 * j + 1] = float(spec.attn_factor * std::sin(pos * theta[j]));
    }
  }
}

void RopeTable::Apply(size_t pos, size_t heads, size_t head_dim, float* x) const {
  const float* cs = cos_sin_.data() + pos * pairs_ * 2;
  if (neox_) {
    for (size_t h = 0; h < heads; ++h) {
      float* v = x + h * head_dim;
      for (size_t j = 0; j < pairs_; ++j) {
        const float c = cs[2 * j], s = cs[2 * j + 1];
        const float a = v[j], b = v[j + pairs_];
        v[j] = a * c - b * s;
        v[j + pairs_] = a * s + b * c;
      }
    }
    return;
  }
  for (size_t h = 0; h < heads; ++h) {
    float* v = x + h * head_dim;
    for (size_t j = 0; j < pairs_; ++j) {
      const float c = cs[2 * j], s = cs[2 * j + 1];
      const float a = v[2 * j], b = v[2 * j + 1];
      v[2 * j] = a * c - b * s;
      v[2 * j + 1] = a * s + b * c;
    }
  }
}

}  // namespace lutra::engine::graph
