// Scalar ternary2 GEMM: the definition of the arithmetic, for correctness and as the fallback.
// It decodes each weight from its field (ternary2.h) and forms D_b = Σ w·a directly, without
// the offset sums, so the tests check those (the other variants use them) against it.
#include "kernels/f16/convert.h"
#include "kernels/ternary2/variants.h"

namespace lutra::kernels::ternary2 {

void gemm_r4t1__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  const size_t blocks = Blocks(w.k);
  for (size_t r = row_begin; r < row_end; ++r) {
    const size_t g = r / kRows, j = r % kRows;
    const uint8_t* codes = w.codes + g * GroupBytes(w.k);
    for (size_t t = 0; t < a.n; ++t) {
      const int8_t* aq = a.q + t * a.k;
      float part = 0.0f;
      int32_t total = 0;
      for (size_t b = 0; b < blocks; ++b) {
        int32_t dot = 0;
        for (size_t c = b * kBlock / kChunk; c < (b + 1) * kBlock / kChunk; ++c) {
          for (size_t s = 0; s < 4; ++s) {
            for (size_t e = 0; e < 4; ++e) {
              const unsigned byte = codes[c * 64 + 16 * s + 4 * j + e];
              for (size_t f = 0; f < 4; ++f) {
                const int field = int(byte >> (2 * f) & 3);
                // Offset code w + 1, or (field 3) two's complement: (v ^ 2) − 2 sign-extends.
                const int wt = f < 3 ? field - 1 : (field ^ 2) - 2;
                dot += wt * aq[c * kChunk + 16 * f + 4 * s + e];
              }
            }
          }
        }
        if (w.block_scale != nullptr) {
          part += f16::HalfToFloat(w.block_scale[(g * blocks + b) * kRows + j]) * float(dot);
        } else {
          total += dot;
        }
      }
      y[t * y_stride + r] =
          w.block_scale != nullptr ? part * a.scale[t] : float(total) * w.row_scale[r] * a.scale[t];
    }
  }
}

}  // namespace lutra::kernels::ternary2
