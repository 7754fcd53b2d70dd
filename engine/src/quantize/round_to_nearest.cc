#include "engine/src/quantize/round_to_nearest.h"

#include <algorithm>
#include <cmath>

namespace lutra::engine::quantize {
namespace {

Status Prepare(const float* w, size_t m, size_t k, const kernels::packw::Shape& shape,
               QuantizedMatrix* out) {
  if (const char* msg = kernels::packw::Validate(shape)) {
    return InvalidArgument(std::string("quantize: ") + msg);
  }
  for (size_t i = 0; i < m * k; ++i) {
    if (!std::isfinite(w[i])) {
      return InvalidArgument("quantize: weight " + std::to_string(i) + " is not finite");
    }
  }
  const size_t groups = kernels::packw::Groups(shape);
  out->shape = shape;
  out->q.assign(m * k, 0);
  out->scale.assign(m * groups, 0.0f);
  out->zero.assign(shape.asymmetric ? m * groups : 0, 0);
  out->uniform_scale = false;
  out->ternary = false;
  return Status::Ok();
}

}  // namespace

Status QuantizeRtn(const float* w, size_t m, size_t k, uint32_t bits, uint32_t group,
                   bool asymmetric, QuantizedMatrix* out) {
  const kernels::packw::Shape shape{m, k, bits, group, asymmetric};
  if (Status s = Prepare(w, m, k, shape, out); !s.ok()) return s;
  const size_t groups = kernels::packw::Groups(shape);
  const int max_code = (1 << bits) - 1;
  const float half = 0.5f * float(max_code);
  for (size_t r = 0; r < m; ++r) {
    for (size_t g = 0; g < groups; ++g) {
      const size_t c0 = g * group, c1 = std::min(k, c0 + group);
      const float* row = w + r * k;
      float lo = row[c0], hi = row[c0], amax = 0.0f;
      for (size_t c = c0; c < c1; ++c) {
        lo = std::min(lo, row[c]);
        hi = std::max(hi, row[c]);
        amax = std::max(amax, std::fabs(row[c]));
      }
      float s = 0.0f;
      int z = 0;
      if (asymmetric) {
        lo = std::min(lo, 0.0f);  // keep 0 representable (exact zero weights stay zero)
        hi = std::max(hi, 0.0f);
        s = (hi - lo) / float(max_code);
        z = s > 0.0f ? std::clamp(int(std::lround(-lo / s)), 0, max_code) : 0;
        out->zero[r * groups + g] = uint8_t(z);
      } else {
        s = amax / half;
      }
      out->scale[r * groups + g] = s;
      const float inv = s > 0.0f ? 1.0f / s : 0.0f;
      for (size_t c = c0; c < c1; ++c) {
        const float v = asymmetric ? std::nearbyint(row[c] * inv) + float(z)
                                   : std::nearbyint(row[c] * inv + half);
        out->q[r * k + c] = uint8_t(std::clamp(int(v), 0, max_code));
      }
    }
  }
  return Status::Ok();
}

Status QuantizeTernary(const float* w, size_t m, size_t k, uint32_t group, bool per_tensor,
                       QuantizedMatrix* out) {
  const kernels::packw::Shape shape{m, k, 2, group, true};
  if (Status s = Prepare(w, m, k, shape, out); !s.ok()) return s;
  const size_t groups = kernels::packw::Groups(shape);
  out->ternary = true;
  out->uniform_scale = per_tensor;
  double tensor_mean = 0.0;
  if (per_tensor) {
    for (size_t i = 0; i < m * k; ++i) tensor_mean += std::fabs(double(w[i]));
    tensor_mean /= double(m * k);
  }
  for (size_t r = 0; r < m; ++r) {
    for (size_t g = 0; g < groups; ++g) {
      const size_t c0 = g * group, c1 = std::min(k, c0 + group);
      double mean = tensor_mean;
      if (!per_tensor) {
        mean = 0.0;
        for (size_t c = c0; c < c1; ++c) mean += std::fabs(double(w[r * k + c]));
        mean /= double(c1 - c0);
      }
      const float s = float(mean);
      out->scale[r * groups + g] = s;
      out->zero[r * groups + g] = 1;
      const float inv = s > 0.0f ? 1.0f / s : 0.0f;
      for (size_t c = c0; c < c1; ++c) {
        const int v = std::clamp(int(std::nearbyint(w[r * k + c] * inv)), -1, 1);
        out->q[r * k + c] = uint8_t(v + 1);
      }
    }
  }
  return Status::Ok();
}

}  // namespace lutra::engine::quantize
