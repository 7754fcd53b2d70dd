// Scalar q8block GEMM: the definition of the arithmetic, for correctness and as the fallback.
// Per row and token: the exact int32 dot of each block, then fp32 acc += (scale·s)·dot and
// fp32 mins += min·Σx, y = acc − mins.
#include "kernels/q8block/variants.h"

namespace lutra::kernels::q8block {

void gemm_w8a8_r1__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                          float* y, size_t y_stride) {
  const size_t blocks = w.k / w.block;
  for (size_t r = row_begin; r < row_end; ++r) {
    const int8_t* wq = w.q + r * w.k;
    const float* ws = w.scale + r * blocks;
    const float* wm = w.min != nullptr ? w.min + r * blocks : nullptr;
    for (size_t t = 0; t < a.n; ++t) {
      const int8_t* aq = a.q + t * a.k;
      const float* as = a.scale + t * blocks;
      const float* ax = a.sum + t * blocks;
      float acc = 0.0f, mins = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        int32_t dot = 0;
        for (size_t i = b * w.block; i < (b + 1) * w.block; ++i) dot += int32_t(wq[i]) * aq[i];
        acc += ws[b] * as[b] * float(dot);
        if (wm != nullptr) mins += wm[b] * ax[b];
      }
      y[t * y_stride + r] = acc - mins;
    }
  }
}

}  // namespace lutra::kernels::q8block
