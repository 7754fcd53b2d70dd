// Scalar q4rows GEMM: the definition of the arithmetic, for correctness and as the fallback.
// Per row and token: the exact integer dot D of each block, the fp32 span sum += d·D, then
// y += s_span·(span sum) in fp32.
#include "kernels/f16/convert.h"
#include "kernels/q4rows/variants.h"

namespace lutra::kernels::q4rows {

void gemm_r4t1__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  const size_t blocks = w.k / kBlock, spans = Spans(w.k);
  for (size_t r = row_begin; r < row_end; ++r) {
    const uint8_t* scales = w.data + r / kRows * GroupBytes(w.k);
    const uint8_t* codes = scales + blocks * kRows * 2;
    const size_t j = r % kRows;
    for (size_t t = 0; t < a.n; ++t) {
      const int8_t* aq = a.q + t * a.k;
      float acc = 0.0f;
      for (size_t span = 0; span < spans; ++span) {
        float part = 0.0f;
        const size_t b_end = (span + 1) * (kSpan / kBlock);
        for (size_t b = span * (kSpan / kBlock); b < blocks && b < b_end; ++b) {
          const uint8_t* c = codes + b * (kRows * kBlock / 2) + 4 * j;
          const int8_t* ab = aq + b * kBlock;
          int32_t dot = 0;
          for (size_t i = 0; i < 4; ++i) {
            for (size_t e = 0; e < 4; ++e) {
              const uint8_t byte = c[16 * i + e];
              // Sign-extend each nibble: (v ^ 8) − 8 for the unsigned nibble v.
              const int32_t lo = int32_t((byte & 15) ^ 8) - 8, hi = int32_t((byte >> 4) ^ 8) - 8;
              dot += lo * ab[4 * i + e] + hi * ab[16 + 4 * i + e];
            }
          }
          uint16_t h = uint16_t(scales[(b * kRows + j) * 2] | scales[(b * kRows + j) * 2 + 1] << 8);
          part += f16::HalfToFloat(h) * float(dot);
        }
        acc += a.scale[t * spans + span] * part;
      }
      y[t * y_stride + r] = acc;
    }
  }
}

}  // namespace lutra::kernels::q4rows
