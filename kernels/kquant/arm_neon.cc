// NEON kquant GEMM (AArch64 and ARMv7): int8 × int8 products by vmull_s8 / vmlal_s8 in int16
// lanes, widened pairwise into int32 by vpaddlq_s16; the unpacking, scales and token loop are
// the shared ARM drivers (arm_blocks.h, arm_blocks32.h for Q8_0 and Q5_0).
#include <arm_neon.h>

#include "kernels/kquant/arm_blocks.h"
#include "kernels/kquant/arm_blocks32.h"
#include "kernels/kquant/arm_iq4.h"
#include "kernels/kquant/arm_iq_blocks.h"
#include "kernels/kquant/variants.h"

namespace lutra::kernels::kquant {
namespace {

struct MullDot {
  static constexpr bool kChained = false;
  // Q6_K: two products per int16 lane, |2·63·128| < 2^15.
  static int32x4_t Sum16(int8x16_t q, int8x16_t a) {
    const int16x8_t p =
        vmlal_s8(vmull_s8(vget_low_s8(q), vget_low_s8(a)), vget_high_s8(q), vget_high_s8(a));
    return vpaddlq_s16(p);
  }
  // Q4_K, Q5_K: four products per int16 lane, |4·31·128| < 2^15 (Q6_K's codes would allow four
  // too, 4·63·128 = 32256, but a sub-block of 16 fills only eight lanes twice).
  static int32x4_t Sum32(int8x16_t q0, int8x16_t q1, int8x16_t a0, int8x16_t a1) {
    int16x8_t p = vmull_s8(vget_low_s8(q0), vget_low_s8(a0));
    p = vmlal_s8(p, vget_high_s8(q0), vget_high_s8(a0));
    p = vmlal_s8(p, vget_low_s8(q1), vget_low_s8(a1));
    p = vmlal_s8(p, vget_high_s8(q1), vget_high_s8(a1));
    return vpaddlq_s16(p);
  }
  // 32 signed codes (Q8_0: [−128, 127]) times activations in [−127, 127]: two products per
  // int16 lane, |2·128·127| < 2^15.
  static int32x4_t Block32(int8x16_t q0, int8x16_t q1, int8x16_t a0, int8x16_t a1) {
    const int16x8_t p0 =
        vmlal_s8(vmull_s8(vget_low_s8(q0), vget_low_s8(a0)), vget_high_s8(q0), vget_high_s8(a0));
    const int16x8_t p1 =
        vmlal_s8(vmull_s8(vget_low_s8(q1), vget_low_s8(a1)), vget_high_s8(q1), vget_high_s8(a1));
    return vpadalq_s16(vpaddlq_s16(p0), p1);
  }
  // Codes in [0, 32) (Q5_0, Q4_0): four products per int16 lane, as Sum32.
  static int32x4_t Block32Small(int8x16_t q0, int8x16_t q1, int8x16_t a0, int8x16_t a1) {
    return Sum32(q0, q1, a0, a1);
  }
};

}  // namespace

void q4k_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  arm::Q4KGemm<MullDot>(w, a, row_begin, row_end, y, y_stride);
}

void q5k_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  arm::Q4KGemm<MullDot, true>(w, a, row_begin, row_end, y, y_stride);
}

void q6k_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  arm::Q6KGemm<MullDot>(w, a, row_begin, row_end, y, y_stride);
}

void q3k_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  arm::Q32KGemm<MullDot, Format::kQ3K>(w, a, row_begin, row_end, y, y_stride);
}

void q2k_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                    float* y, size_t y_stride) {
  arm::Q32KGemm<MullDot, Format::kQ2K>(w, a, row_begin, row_end, y, y_stride);
}

void q8_0_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  arm::Gemm32<arm::Q8_0Codes, MullDot, 2>(w, a, row_begin, row_end, y, y_stride);
}

void q5_0_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  arm::Gemm32<arm::Q5_0Codes, MullDot, 2>(w, a, row_begin, row_end, y, y_stride);
}

void q4_0_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                     float* y, size_t y_stride) {
  arm::Gemm32<arm::Q4_0Codes, MullDot, 2>(w, a, row_begin, row_end, y, y_stride);
}

void iq4nl_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  arm::Gemm32<arm::IQ4NLCodes, MullDot, 2>(w, a, row_begin, row_end, y, y_stride);
}

void iq4xs_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  arm::IQ4XSGemm<MullDot>(w, a, row_begin, row_end, y, y_stride);
}
#define LUTRA_IQ_ARM(name, format)                                                                 \
  void name##_gemm__neon(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, \
                         float* y, size_t y_stride) {                                              \
    arm::IqGemm<MullDot, Format::k##format>(w, a, row_begin, row_end, y, y_stride);                \
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
