#include "engine/src/quantize/range_search.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lutra::engine::quantize {
namespace {

// One group's quantization: ŵ = scale·(code − offset). Symmetric groups use the fixed
// half-integer offset (2^b − 1)/2; asymmetric ones an integer zero point.
constexpr uint32_t kFineSteps = 16;  // sub-steps of one coarse step on either side

struct GroupFit {
  float scale = 0.0f;
  float offset = 0.0f;
  double error = 0.0;
};

struct Group {
  const float* w;
  size_t n;
  int max_code;
};

// Candidate s of the coarse grid, and the grid's spacing, as ratios of the RTN range.
inline float Step(const RangeSearchOptions& o) {
  return o.steps > 1 ? (o.max_ratio - o.min_ratio) / float(o.steps - 1) : 0.0f;
}
inline float Ratio(const RangeSearchOptions& o, uint32_t s) {
  return o.min_ratio + Step(o) * float(s);
}

// Round half to even by the 1.5·2^23 trick: exact for |v| < 2^22, and larger magnitudes keep
// their sign, so the clamp below still gives the right code. Unlike std::nearbyint it
// vectorizes on every target (baseline x86-64 has no rounding instruction): the search
// evaluates ~80 candidate scales per group, so this loop is the converter's running time.
inline float RoundHalfEven(float v) {
  constexpr float kMagic = 12582912.0f;
  return (v + kMagic) - kMagic;
}

inline float CodeF(float w, float inv, float offset, float max_code) {
  return std::min(std::max(RoundHalfEven(w * inv + offset), 0.0f), max_code);
}

inline int Code(float w, float inv, float offset, int max_code) {
  return int(CodeF(w, inv, offset, float(max_code)));
}

double Error(const Group& g, float scale, float offset) {
  const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  const float maxc = float(g.max_code);
  // Eight float partial sums (a vectorizable loop): over at most 128 weights a float sum
  // differs from the double one by ~1e-6 relative, far below what separates candidates that
  // matter, and the caller's "never worse than RTN" holds within that.
  float e[8] = {};
  size_t i = 0;
  for (; i + 8 <= g.n; i += 8) {
    for (size_t j = 0; j < 8; ++j) {
      const float d = g.w[i + j] - scale * (CodeF(g.w[i + j], inv, offset, maxc) - offset);
      e[j] += d * d;
    }
  }
  for (; i < g.n; ++i) {
    const float d = g.w[i] - scale * (CodeF(g.w[i], inv, offset, maxc) - offset);
    e[0] += d * d;
  }
  double total = 0.0;
  for (float v : e) total += double(v);
  return total;
}

// Symmetric: scale = r·amax/half; refit s = Σ w·d / Σ d² with d = code − half.
GroupFit FitSymmetric(const Group& g, const RangeSearchOptions& o) {
  const float half = 0.5f * float(g.max_code);
  float amax = 0.0f;
  for (size_t i = 0; i < g.n; ++i) amax = std::max(amax, std::fabs(g.w[i]));
  GroupFit best{amax / half, half, 0.0};
  if (amax == 0.0f) return best;
  best.error = Error(g, best.scale, half);
  for (uint32_t s = 0; s < o.steps; ++s) {
    const float r = Ratio(o, s);
    const float scale = r * amax / half;
    const double e = Error(g, scale, half);
    if (e < best.error) best = {scale, half, e};
  }
  // The error is jagged in the scale (codes switch at many points): search the coarse
  // step around the best candidate finely.
  const float coarse = Step(o) * amax / half;
  const float center = best.scale;
  for (uint32_t f = 1; f < kFineSteps; ++f) {
    const float scale = center + coarse * (2.0f * float(f) / float(kFineSteps) - 1.0f);
    if (!(scale > 0.0f)) continue;
    const double e = Error(g, scale, half);
    if (e < best.error) best = {scale, half, e};
  }
  for (uint32_t it = 0; it < o.refits; ++it) {
    const float inv = 1.0f / best.scale;
    double wd = 0.0, dd = 0.0;
    for (size_t i = 0; i < g.n; ++i) {
      const double d = Code(g.w[i], inv, half, g.max_code) - half;
      wd += double(g.w[i]) * d;
      dd += d * d;
    }
    if (dd == 0.0 || wd <= 0.0) break;
    const float scale = float(wd / dd);
    const double e = Error(g, scale, half);
    if (!(e < best.error)) break;
    best = {scale, half, e};
  }
  return best;
}

// Asymmetric: the RTN range [min(lo, 0), max(hi, 0)] shrunk by r, integer zero point; refit
// w ≈ a·code + b by least squares, then z = round(−b/a).
GroupFit FitAsymmetric(const Group& g, const RangeSearchOptions& o) {
  float lo = 0.0f, hi = 0.0f;
  for (size_t i = 0; i < g.n; ++i) lo = std::min(lo, g.w[i]), hi = std::max(hi, g.w[i]);
  const float maxc = float(g.max_code);
  auto candidate = [&](float a, float b) {
    const float scale = (b - a) / maxc;
    const float z = std::clamp(std::nearbyint(-a / scale), 0.0f, maxc);
    return GroupFit{scale, z, Error(g, scale, z)};
  };
  if (hi == lo) return {0.0f, 0.0f, 0.0};  // all zero
  GroupFit best = candidate(lo, hi);
  for (uint32_t s = 0; s < o.steps; ++s) {
    const float r = Ratio(o, s);
    const GroupFit f = candidate(r * lo, r * hi);
    if (f.error < best.error) best = f;
  }
  // Fine stage: scales around the best within one coarse step, each with the neighbouring
  // zero points too (the range-derived zero point is not always the best one).
  const float coarse = Step(o) * (hi - lo) / maxc;
  const GroupFit center = best;
  for (uint32_t f = 0; f <= kFineSteps; ++f) {
    const float scale = center.scale + coarse * (2.0f * float(f) / float(kFineSteps) - 1.0f);
    if (!(scale > 0.0f)) continue;
    for (float dz = -1.0f; dz <= 1.0f; dz += 1.0f) {
      const float z = center.offset + dz;
      if (z < 0.0f || z > maxc) continue;
      const double e = Error(g, scale, z);
      if (e < best.error) best = {scale, z, e};
    }
  }
  for (uint32_t it = 0; it < o.refits; ++it) {
    const float inv = 1.0f / best.scale;
    double sc = 0.0, scc = 0.0, sw = 0.0, scw = 0.0;
    for (size_t i = 0; i < g.n; ++i) {
      const double c = Code(g.w[i], inv, best.offset, g.max_code);
      sc += c, scc += c * c, sw += g.w[i], scw += c * double(g.w[i]);
    }
    const double n = double(g.n), det = n * scc - sc * sc;
    if (det <= 0.0) break;
    const double a = (n * scw - sc * sw) / det, b = (sw - a * sc) / n;
    if (!(a > 0.0)) break;
    const float scale = float(a);
    const float z = std::clamp(std::nearbyint(float(-b / a)), 0.0f, maxc);
    const double e = Error(g, scale, z);
    if (!(e < best.error)) break;
    best = {scale, z, e};
  }
  return best;
}

}  // namespace

Status QuantizeRangeSearch(const float* w, size_t m, size_t k, uint32_t bits, uint32_t group,
                           bool asymmetric, const RangeSearchOptions& options, ThreadPool* pool,
                           quantize::QuantizedMatrix* out) {
  if (options.steps < 1 || !(options.min_ratio > 0.0f && options.min_ratio <= 1.0f) ||
      !(options.max_ratio >= 1.0f && options.max_ratio <= 4.0f)) {
    return InvalidArgument(
        "range search: steps must be >= 1, min_ratio in (0, 1] and max_ratio in [1, 4]");
  }
  // Round-to-nearest validates the shape and the weights and sizes every array; the search
  // then overwrites each group's scale, zero point and codes.
  if (Status s = quantize::QuantizeRtn(w, m, k, bits, group, asymmetric, out); !s.ok()) return s;
  const size_t groups = (k + group - 1) / group;
  const int max_code = (1 << bits) - 1;
  auto row = [&](size_t r) {
    for (size_t gi = 0; gi < groups; ++gi) {
      const size_t c0 = gi * group, c1 = std::min(k, c0 + group);
      const Group g{w + r * k + c0, c1 - c0, max_code};
      const GroupFit f = asymmetric ? FitAsymmetric(g, options) : FitSymmetric(g, options);
      if (f.scale == 0.0f) continue;  // all-zero group: RTN's codes already give 0
      out->scale[r * groups + gi] = f.scale;
      if (asymmetric) out->zero[r * groups + gi] = uint8_t(f.offset);
      const float inv = 1.0f / f.scale;
      for (size_t c = c0; c < c1; ++c) {
        out->q[r * k + c] = uint8_t(Code(w[r * k + c], inv, f.offset, max_code));
      }
    }
  };
  if (pool != nullptr) {
    pool->ParallelFor(m, row);
  } else {
    for (size_t r = 0; r < m; ++r) row(r);
  }
  return Status::Ok();
}

double SquaredError(const float* w, const quantize::QuantizedMatrix& q) {
  const size_t m = q.shape.m, k = q.shape.k, group = q.shape.group;
  const size_t groups = (k + group - 1) / group;
  const double half = 0.5 * double((1 << q.shape.bits) - 1);
  double e = 0.0;
  for (size_t r = 0; r < m; ++r) {
    for (size_t c = 0; c < k; ++c) {
      const size_t gi = r * groups + c / group;
      const double z = q.shape.asymmetric ? double(q.zero[gi]) : half;
      const double d = double(w[r * k + c]) - double(q.scale[gi]) * (double(q.q[r * k + c]) - z);
      e += d * d;
    }
  }
  return e;
}

}  // namespace lutra::engine::quantize
