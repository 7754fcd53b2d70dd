// Dot-product q4rows GEMM (AArch64 + dotprod). Per block of 32 and group of four rows: four
// 16-byte code loads, a shl #4 and an and #0xF0 of each (16·(q − 8) as int8, q4rows.h), eight
// sdot by lane into one int32x4 (lane = row), scvtf #4 (the /16 for free) and one fmla with the
// four fp16 d converted. One token: two groups per step, so each activation load and lane
// broadcast serves eight rows and the in-order A55 has two sdot chains to interleave. Several
// tokens: one group, up to four tokens per weight load and unpack.
#include <arm_neon.h>

#include <cstring>
#include <type_traits>

#include "kernels/q4rows/variants.h"

namespace lutra::kernels::q4rows {
namespace {

constexpr size_t kBlocksPerSpan = kSpan / kBlock;

struct Group {
  const uint8_t* scales;
  const int8_t* codes;
};

Group GroupAt(const Weights& w, size_t g) {
  const uint8_t* base = w.data + g * GroupBytes(w.k);
  return {base, reinterpret_cast<const int8_t*>(base + w.k / kBlock * kRows * 2)};
}

// The four rows' d of block b as fp32.
inline float32x4_t Scales(const uint8_t* scales, size_t b) {
  uint64_t bits;
  std::memcpy(&bits, scales + b * kRows * 2, sizeof bits);
  return vcvt_f32_f16(vreinterpret_f16_u64(vcreate_u64(bits)));
}

// A zeroed int32x4 from memory. Each block's sdot chains start from zero; a movi (or GCC's
// copy of a zero register) is one more instruction on the two vector pipes of the A76 per
// group and block, +1 modelled cycle per 256 weights, where a load uses the load pipes, which
// have room. The pointer goes through an empty asm so that the load stays a load.
inline int32x4_t Zero(const int32_t* zero) {
  asm volatile("" : "+r"(zero));
  return vld1q_s32(zero);
}

// sdot of k-quad `lane` for every group, then an empty asm that makes the next step wait for
// all of them: the chains stay interleaved in the emitted order.
template <int lane, size_t G>
inline void Step(int32x4_t (&dot)[G], const int8x16_t (&w)[G][4], int8x16_t a) {
  for (size_t g = 0; g < G; ++g) dot[g] = vdotq_laneq_s32(dot[g], w[g][lane], a, lane);
  if constexpr (G == 2) {
    asm("" : "+w"(dot[0]), "+w"(dot[1]));
  }
}

// G groups (rows 4·g0 .. 4·(g0 + G)), T tokens from t0.
template <size_t G, size_t T>
inline void Tile(const Weights& w, const Activations& a, size_t g0, size_t t0, size_t row_end,
                 float* y, size_t y_stride) {
  const size_t blocks = w.k / kBlock, spans = Spans(w.k);
  const int8x16_t mask = vdupq_n_s8(int8_t(0xF0));
  alignas(16) const int32_t zero[4] = {0, 0, 0, 0};
  Group grp[G];
  for (size_t g = 0; g < G; ++g) grp[g] = GroupAt(w, g0 + g);
  const int8_t* aq[T];
  for (size_t t = 0; t < T; ++t) aq[t] = a.q + (t0 + t) * a.k;
  float32x4_t acc[G][T];
  for (size_t g = 0; g < G; ++g) {
    for (size_t t = 0; t < T; ++t) acc[g][t] = vdupq_n_f32(0.0f);
  }
  // k ≥ kBlock: at least one span. A do-while, because GCC copied both accumulators on every
  // span for the zero-trip exit of a for loop.
  size_t span = 0;
  do {
    const size_t b0 = span * kBlocksPerSpan;
    const size_t b1 = blocks - b0 < kBlocksPerSpan ? blocks : b0 + kBlocksPerSpan;
    // The span's Σ d·D per group and token; its first block multiplies rather than adds, so
    // no zeroing per span (two more vector instructions per span on the A76's busy pipes).
    float32x4_t part[G][T];
    auto block = [&](size_t b, auto first) {
      int8x16_t lo[G][4], hi[G][4];
      float32x4_t d[G];
      for (size_t g = 0; g < G; ++g) {
        const int8_t* c = grp[g].codes + b * (kRows * kBlock / 2);
        for (size_t i = 0; i < 4; ++i) {
          const int8x16_t v = vld1q_s8(c + 16 * i);
          lo[g][i] = vshlq_n_s8(v, 4);
          hi[g][i] = vandq_s8(v, mask);
        }
        d[g] = Scales(grp[g].scales, b);
      }
      for (size_t t = 0; t < T; ++t) {
        const int8x16_t a0 = vld1q_s8(aq[t] + b * kBlock), a1 = vld1q_s8(aq[t] + b * kBlock + 16);
        int32x4_t dot[G];
        for (size_t g = 0; g < G; ++g) dot[g] = Zero(zero);
        // Groups innermost: G independent chains side by side (Step keeps them interleaved
        // for the in-order A55, where GCC's schedule ran one chain after the other).
        Step<0>(dot, lo, a0);
        Step<1>(dot, lo, a0);
        Step<2>(dot, lo, a0);
        Step<3>(dot, lo, a0);
        Step<0>(dot, hi, a1);
        Step<1>(dot, hi, a1);
        Step<2>(dot, hi, a1);
        Step<3>(dot, hi, a1);
        for (size_t g = 0; g < G; ++g) {
          const float32x4_t dots = vcvtq_n_f32_s32(dot[g], 4);  // /16: the codes' scale
          if constexpr (decltype(first)::value) {
            part[g][t] = vmulq_f32(dots, d[g]);
          } else {
            part[g][t] = vfmaq_f32(part[g][t], dots, d[g]);
          }
        }
      }
    };
    block(b0, std::true_type{});
    for (size_t b = b0 + 1; b < b1; ++b) block(b, std::false_type{});
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[(t0 + t) * spans + span];
      for (size_t g = 0; g < G; ++g) acc[g][t] = vfmaq_n_f32(acc[g][t], part[g][t], s);
    }
  } while (++span < spans);
  for (size_t g = 0; g < G; ++g) {
    const size_t r0 = (g0 + g) * kRows;
    const size_t rows = row_end - r0 < kRows ? row_end - r0 : kRows;
    for (size_t t = 0; t < T; ++t) {
      float* yt = y + (t0 + t) * y_stride + r0;
      if (rows == kRows) {
        vst1q_f32(yt, acc[g][t]);
      } else {
        float buf[kRows];
        vst1q_f32(buf, acc[g][t]);
        std::memcpy(yt, buf, rows * sizeof(float));
      }
    }
  }
}

}  // namespace

void gemm_r8t4__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  const size_t g_begin = row_begin / kRows, g_end = Groups(row_end);
  if (a.n == 1) {
    size_t g = g_begin;
    for (; g + 2 <= g_end; g += 2) Tile<2, 1>(w, a, g, 0, row_end, y, y_stride);
    if (g < g_end) Tile<1, 1>(w, a, g, 0, row_end, y, y_stride);
    return;
  }
  for (size_t g = g_begin; g < g_end; ++g) {
    size_t t = 0;
    for (; t + 4 <= a.n; t += 4) Tile<1, 4>(w, a, g, t, row_end, y, y_stride);
    switch (a.n - t) {
      case 3:
        Tile<1, 3>(w, a, g, t, row_end, y, y_stride);
        break;
      case 2:
        Tile<1, 2>(w, a, g, t, row_end, y, y_stride);
        break;
      case 1:
        Tile<1, 1>(w, a, g, t, row_end, y, y_stride);
        break;
      default:
        break;
    }
  }
}

}  // namespace lutra::kernels::q4rows
