// The tile and token loops shared by the lookup GEMMs of several ISAs
// (x86_avx2.cc, x86_avx512.cc, arm_neon.cc, riscv_rvv.cc), instantiated with
// each file's microkernel:
//
//   struct Micro {
//     // Tokens [t0, t0 + NB) of 32-row tile `tile`, group size G (a template
//     parameter so that
//     // the run loops have constant trip counts).
//     template <int B, bool Exact, int NB, size_t G>
//     static void Block(const Weights& w, const Tables& tb, size_t t0, size_t
//     tile, float* y,
//                       size_t y_stride);
//   };
//
// Anonymous namespace: each ISA file gets its own copy, compiled with its flags
// (docs/kernels.md).
#pragma once

#include <cstddef>

#include "kernels/lutgemm/lutgemm.h"

namespace lutra::kernels::lutgemm {
namespace {

// Per tile: NB tokens per weight load, then the remaining tokens one by one.
template <class Micro, int B, bool Exact, int NB, size_t G>
static void Tiles(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
                  float* y, size_t y_stride) {
  for (size_t tile = tile_begin; tile < tile_end; ++tile) {
    size_t t = 0;
    for (; t + NB <= n; t += NB)
      Micro::template Block<B, Exact, NB, G>(w, tb, t, tile, y, y_stride);
    for (; t < n; ++t) Micro::template Block<B, Exact, 1, G>(w, tb, t, tile, y, y_stride);
  }
}

// A GemmFn: the group size as a template parameter (32, 64 or 128;
// packw::Validate).
template <class Micro, int B, bool Exact, int NB>
static void Gemm(const Weights& w, const Tables& tb, size_t n, size_t tile_begin, size_t tile_end,
                 float* y, size_t y_stride) {
  switch (w.shape.group) {
    case 32:
      return Tiles<Micro, B, Exact, NB, 32>(w, tb, n, tile_begin, tile_end, y, y_stride);
    case 64:
      return Tiles<Micro, B, Exact, NB, 64>(w, tb, n, tile_begin, tile_end, y, y_stride);
    default:
      return Tiles<Micro, B, Exact, NB, 128>(w, tb, n, tile_begin, tile_end, y, y_stride);
  }
}

}  // namespace
}  // namespace lutra::kernels::lutgemm
