// Dot-product ternary2 GEMM (AArch64 + dotprod). Per 64-weight chunk and group of four rows:
// four 16-byte code loads, and of each with 0x03 / 0x0C / 0x30 / 0xC0 (4^f·(w + 1), field 3
// 64·w: ternary2.h) and sdot by lane s into the field's accumulator against the 16
// activations of that field. 32 vector instructions per 256 weights, half `and` (V0 or V1 on
// the A76) and half sdot (V1): ~16 cycles on its two pipes. At the end of a block (blocks mode)
// or of the row (uniform) the fields' sums are combined with exact arithmetic shifts
// (ssra #2, #4, #6), the offset sums subtracted, converted and scaled. One token: two groups
// per step, so each activation load serves eight rows and the in-order A55 has eight sdot
// chains. Several tokens: one group, two tokens per weight load and unpack.
#include <arm_neon.h>

#include <cstring>
#include <utility>

#include "kernels/ternary2/variants.h"

namespace lutra::kernels::ternary2 {
namespace {

struct Masks {
  uint8x16_t f[4];
};

// The four rows' fp16 scales of block b as fp32.
inline float32x4_t BlockScales(const uint16_t* p) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}

// Σ_f acc[f] / 4^f (field 3: / 64): exact, each accumulator is a multiple of its power.
inline int32x4_t Combine(const int32x4_t (&acc)[4]) {
  int32x4_t s = vsraq_n_s32(acc[0], acc[1], 2);
  s = vsraq_n_s32(s, acc[2], 4);
  return vsraq_n_s32(s, acc[3], 6);
}

// Register s of a chunk: its four fields unpacked, each sdot by lane s against the field's
// activations, for G groups and T tokens.
template <int s, size_t G, size_t T>
inline void Position(const uint8_t* const (&chunk)[G], const Masks& m, const int8x16_t (&av)[T][4],
                     int32x4_t (&acc)[G][T][4]) {
  for (size_t g = 0; g < G; ++g) {
    const uint8x16_t v = vld1q_u8(chunk[g] + 16 * s);
    for (size_t f = 0; f < 4; ++f) {
      const int8x16_t wf = vreinterpretq_s8_u8(vandq_u8(v, m.f[f]));
      for (size_t t = 0; t < T; ++t) acc[g][t][f] = vdotq_laneq_s32(acc[g][t][f], wf, av[t][f], s);
    }
  }
}

// G groups (rows 4·g0 .. 4·(g0 + G)), T tokens from t0; kBlocks: fp16 scale per block.
template <size_t G, size_t T, bool kBlocks>
void Tile(const Weights& w, const Activations& a, size_t g0, size_t t0, size_t row_end, float* y,
          size_t y_stride) {
  const size_t blocks = Blocks(w.k), sums = SumCount(w.k);
  Masks m;
  m.f[0] = vdupq_n_u8(0x03);
  m.f[1] = vdupq_n_u8(0x0C);
  m.f[2] = vdupq_n_u8(0x30);
  m.f[3] = vdupq_n_u8(0xC0);
  const uint8_t* codes[G];
  for (size_t g = 0; g < G; ++g) codes[g] = w.codes + (g0 + g) * GroupBytes(w.k);
  const int8_t* aq[T];
  for (size_t t = 0; t < T; ++t) aq[t] = a.q + (t0 + t) * a.k;
  int32x4_t acc[G][T][4];
  float32x4_t part[G][T];
  for (size_t g = 0; g < G; ++g) {
    for (size_t t = 0; t < T; ++t) {
      part[g][t] = vdupq_n_f32(0.0f);
      for (size_t f = 0; f < 4; ++f) acc[g][t][f] = vdupq_n_s32(0);
    }
  }
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t c = b * (kBlock / kChunk); c < (b + 1) * (kBlock / kChunk); ++c) {
      int8x16_t av[T][4];
      for (size_t t = 0; t < T; ++t) {
        for (size_t f = 0; f < 4; ++f) av[t][f] = vld1q_s8(aq[t] + c * kChunk + 16 * f);
      }
      const uint8_t* chunk[G];
      for (size_t g = 0; g < G; ++g) chunk[g] = codes[g] + c * 64;
      Position<0>(chunk, m, av, acc);
      Position<1>(chunk, m, av, acc);
      Position<2>(chunk, m, av, acc);
      Position<3>(chunk, m, av, acc);
    }
    if constexpr (kBlocks) {
      for (size_t g = 0; g < G; ++g) {
        const float32x4_t d = BlockScales(w.block_scale + ((g0 + g) * blocks + b) * kRows);
        for (size_t t = 0; t < T; ++t) {
          const int32x4_t dot =
              vsubq_s32(Combine(acc[g][t]), vdupq_n_s32(a.sums[(t0 + t) * sums + b]));
          part[g][t] = vfmaq_f32(part[g][t], vcvtq_f32_s32(dot), d);
          for (size_t f = 0; f < 4; ++f) acc[g][t][f] = vdupq_n_s32(0);
        }
      }
    }
  }
  for (size_t g = 0; g < G; ++g) {
    const size_t r0 = (g0 + g) * kRows;
    const size_t rows = row_end - r0 < kRows ? row_end - r0 : kRows;
    for (size_t t = 0; t < T; ++t) {
      const float s = a.scale[t0 + t];
      float32x4_t out;
      if constexpr (kBlocks) {
        out = vmulq_n_f32(part[g][t], s);
      } else {
        const int32x4_t dot =
            vsubq_s32(Combine(acc[g][t]), vdupq_n_s32(a.sums[(t0 + t) * sums + blocks]));
        out = vmulq_n_f32(vmulq_f32(vcvtq_f32_s32(dot), vld1q_f32(w.row_scale + r0)), s);
      }
      float* yt = y + (t0 + t) * y_stride + r0;
      if (rows == kRows) {
        vst1q_f32(yt, out);
      } else {
        float buf[kRows];
        vst1q_f32(buf, out);
        std::memcpy(yt, buf, rows * sizeof(float));
      }
    }
  }
}

template <bool kBlocks>
void Gemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
          size_t y_stride) {
  const size_t g_begin = row_begin / kRows, g_end = Groups(row_end);
  if (a.n == 1) {
    size_t g = g_begin;
    for (; g + 2 <= g_end; g += 2) Tile<2, 1, kBlocks>(w, a, g, 0, row_end, y, y_stride);
    if (g < g_end) Tile<1, 1, kBlocks>(w, a, g, 0, row_end, y, y_stride);
    return;
  }
  for (size_t g = g_begin; g < g_end; ++g) {
    size_t t = 0;
    for (; t + 2 <= a.n; t += 2) Tile<1, 2, kBlocks>(w, a, g, t, row_end, y, y_stride);
    if (t < a.n) Tile<1, 1, kBlocks>(w, a, g, t, row_end, y, y_stride);
  }
}

}  // namespace

void gemm_r8t2__dotprod(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  if (w.block_scale != nullptr) {
    Gemm<true>(w, a, row_begin, row_end, y, y_stride);
  } else {
    Gemm<false>(w, a, row_begin, row_end, y, y_stride);
  }
}

}  // namespace lutra::kernels::ternary2
