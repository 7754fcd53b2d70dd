// Dot-product kquant GEMM (AArch64 + dotprod): each 16 codes of a block are one vdotq_s32 (four
// exact int8 products per int32 lane, into int32: nothing saturates); the unpacking, scales and
// token loop are the shared ARM drivers (arm_blocks.h, arm_blocks32.h for Q8_0 and Q5_0).
#include <arm_neon.h>

#include "kernels/kquant/arm_blocks.h"
#include "kernels/kquant/arm_blocks32.h"
#include "kernels/kquant/arm_iq4.h"
#include "kernels/kquant/arm_iq_blocks.h"
#include "kernels/kquant/variants.h"

namespace lutra::kernels::kquant {
namespace {

struct Sdot {
  static constexpr bool kChained = true;
  static int32x4_t Add16(int32x4_t acc, int8x16_t q, int8x16_t a) { return vdotq_s32(acc, q, a); }
  static int32x4_t Add32(int32x4_t acc, int8x16_t q0, int8x16_t q1, int8x16_t a0, int8x16_t a1) {
    return vdotq_s32(vdotq_s32(acc, q0, a0), q1, a1);
  }
  // A fresh dot of 32 signed codes.
  static int32x4_t Block32(int8x16_t q0, int8x16_t q1, int8x16_t a0, int8x16_t a1) {
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), q0, a0), q1, a1);
  }
  static int32x4_t Block32Small(int8x16_t q0, int8x16_t q1, int8x16_t a0, int8x16_t a1) {
    return Block32(q0, q1, a0, a1);
  }
};

}  // namespace

void q4k_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  arm::Q4KGemm<Sdot>(w, a, row_begin, row_end, y, y_stride);
}

void q5k_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  arm::Q4KGemm<Sdot, true>(w, a, row_begin, row_end, y, y_stride);
}

void q6k_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  arm::Q6KGemm<Sdot>(w, a, row_begin, row_end, y, y_stride);
}

void q3k_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  arm::Q32KGemm<Sdot, Format::kQ3K>(w, a, row_begin, row_end, y, y_stride);
}

void q2k_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  arm::Q32KGemm<Sdot, Format::kQ2K>(w, a, row_begin, row_end, y, y_stride);
}

void q8_0_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  arm::Gemm32<arm::Q8_0Codes, Sdot, 4>(w, a, row_begin, row_end, y, y_stride);
}

void q5_0_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  arm::Gemm32<arm::Q5_0Codes, Sdot, 2>(w, a, row_begin, row_end, y, y_stride);
}

void q4_0_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  arm::Gemm32<arm::Q4_0Codes, Sdot, 4>(w, a, row_begin, row_end, y, y_stride);
}

void iq4nl_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                         float* y, size_t y_stride) {
  arm::Gemm32<arm::IQ4NLCodes, Sdot, 4>(w, a, row_begin, row_end, y, y_stride);
}

void iq4xs_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                         float* y, size_t y_stride) {
  arm::IQ4XSGemm<Sdot>(w, a, row_begin, row_end, y, y_stride);
}
#define LUTRA_IQ_ARM(name, format)                                                    \
  void name##_gemm__dotprod(const Weights& w, const Activations& a, size_t row_begin, \
                            size_t row_end, float* y, size_t y_stride) {              \
    arm::IqGemm<Sdot, Format::k##format>(w, a, row_begin, row_end, y, y_stride);      \
  }
LUTRA_IQ_ARM(iq2xxs, IQ2XXS)
LUTRA_IQ_ARM(iq2xs, IQ2XS)
LUTRA_IQ_ARM(iq2s, IQ2S)
LUTRA_IQ_ARM(iq3xxs, IQ3XXS)
LUTRA_IQ_ARM(iq3s, IQ3S)
LUTRA_IQ_ARM(iq1s, IQ1S)
LUTRA_IQ_ARM(iq1m, IQ1M)
#undef LUTRA_IQ_ARM

}  // namespace lutra::kernels::kquant
