// Simple weight quantizers producing the unpacked form that packw packs: round-to-nearest per
// group (symmetric / asymmetric) and BitNet b1.58 absmean ternary. Used by tests, benchmarks
// and as the fallback of the converter (which adds range-searching quantizers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/src/common/status.h"
#include "kernels/packw/packw.h"

namespace lutra::engine::quantize {

// Row-major codes, per-(row, group) scales and zero points (asymmetric only), as packw::Unpacked.
struct QuantizedMatrix {
  kernels::packw::Shape shape;
  std::vector<uint8_t> q;     // m·k
  std::vector<float> scale;   // m·groups
  std::vector<uint8_t> zero;  // m·groups when asymmetric, else empty
  // m·groups or empty. When set (asymmetric shapes, zero all 0), W = s·q − min: ggml's Q4_1 and
  // Q4_K, whose subtracted term is not a whole number of steps; the packed bias carries it.
  std::vector<float> min;
  bool uniform_scale = false;  // one scale per row for all groups (per-tensor ternary)
  bool ternary = false;

  kernels::packw::Unpacked view() const {
    return {q.data(), scale.data(), shape.asymmetric ? zero.data() : nullptr};
  }
};

// Round to nearest per group of `group` weights along k.
// Symmetric: s = max|w| / ((2^b − 1)/2), q = clamp(round(w/s + (2^b − 1)/2)), levels ±s/2, ±3s/2…
// Asymmetric: s = (max − min)/(2^b − 1), z = clamp(round(−min/s)), q = clamp(round(w/s) + z).
// InvalidArgument on an invalid shape or a non-finite weight.
Status QuantizeRtn(const float* w, size_t m, size_t k, uint32_t bits, uint32_t group,
                   bool asymmetric, QuantizedMatrix* out);

// BitNet b1.58 absmean: s = mean|w| over each group (or, with per_tensor, over the whole
// matrix), w_q = clamp(round(w/s), −1, 1), stored as b = 2, q = w_q + 1, z = 1. InvalidArgument
// as QuantizeRtn.
Status QuantizeTernary(const float* w, size_t m, size_t k, uint32_t group, bool per_tensor,
                       QuantizedMatrix* out);

}  // namespace lutra::engine::quantize
