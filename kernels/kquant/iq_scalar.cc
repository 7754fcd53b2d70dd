// Scalar GEMM of the lattice i-quants (iq_fields.h): the definition of their arithmetic and the
// fallback. Each block decodes once per row and token group to 256 signed codes and 16 scales;
// per token its exact int32 sum Σ_b scale_b·Σ code·a over the sub-blocks of 16, then one fp32
// product, factor·s.
#include "kernels/kquant/iq_fields.h"
#include "kernels/kquant/variants.h"

namespace lutra::kernels::kquant {
namespace {

constexpr size_t kTokenGroup = 8;  // tokens sharing one decode of a block

template <Format F>
void IqScalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
              size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock;
  int8_t q[kSuperBlock];
  uint8_t sc[16];
  for (size_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w.data + r * w.row_bytes;
    for (size_t t0 = 0; t0 < a.n; t0 += kTokenGroup) {
      const size_t nt = a.n - t0 < kTokenGroup ? a.n - t0 : kTokenGroup;
      float acc[kTokenGroup] = {};
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = row + b * BlockBytes(F);
        IqDecodeBlock<F>(blk, q, sc);
        const float factor = IqFactor(F, blk);
        for (size_t t = 0; t < nt; ++t) {
          const int8_t* aq = a.q + (t0 + t) * w.k + b * kSuperBlock;
          int32_t total = 0;
          for (int i = 0; i < 16; ++i) {
            int32_t dot = 0;
            for (int l = 0; l < 16; ++l) dot += q[16 * i + l] * aq[16 * i + l];
            total += sc[i] * dot;
          }
          acc[t] += factor * a.scale[(t0 + t) * blocks + b] * float(total);
        }
      }
      for (size_t t = 0; t < nt; ++t) y[(t0 + t) * y_stride + r] = acc[t];
    }
  }
}

}  // namespace

#define LUTRA_IQ_SCALAR(name, format)                                                \
  void name##_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, \
                           size_t row_end, float* y, size_t y_stride) {              \
    IqScalar<Format::k##format>(w, a, row_begin, row_end, y, y_stride);              \
  }
LUTRA_IQ_SCALAR(iq2xxs, IQ2XXS)
LUTRA_IQ_SCALAR(iq2xs, IQ2XS)
LUTRA_IQ_SCALAR(iq2s, IQ2S)
LUTRA_IQ_SCALAR(iq3xxs, IQ3XXS)
LUTRA_IQ_SCALAR(iq3s, IQ3S)
LUTRA_IQ_SCALAR(iq1s, IQ1S)
LUTRA_IQ_SCALAR(iq1m, IQ1M)
#undef LUTRA_IQ_SCALAR

}  // namespace lutra::kernels::kquant
