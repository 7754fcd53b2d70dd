// Software prefetch of the packed weight stream, shared by the x86 lookup kernels.
#pragma once

#include <xmmintrin.h>

#include <cstddef>
#include <cstdint>

namespace lutra::kernels::lutgemm::x86 {

// The hardware prefetchers stop at page boundaries, and one core streaming at ≈ 25 GB/s with
// ≈ 100–150 ns of memory latency needs 3–4 KB in flight, so the kernels request the weight
// stream ahead of their loads, into L1 (T0) or into L2 (T1, which also tracks more outstanding
// misses). Which one is faster depends on the kernel: the weight stream shares L1 with the
// tables, and T0 lines evict them.
//   - VBMI+VNNI lookup, one tile per table load (4-bit): L1, 4 KB ahead. T1 12 KB ahead
//     made 4-bit 4096×4096 from memory 375 → 429 µs, and TinyLlama Q4_0 decode 37–39 → 34
//     tok/s.
//   - VBMI+VNNI lookup, four tiles per table load (1-, 2-, 3-bit): L2, 2 KB ahead in each stream,
//     and past a tile's end in the next block's tile (PrefetchTileStreamToL2). Against 4 KB
//     ahead into the neighbouring tile, 2-bit from memory: 2048×2048 57–60 → 50 µs, 4096×4096
//     205–214 → 183–186 µs; TinyLlama q2 (G = 64) decode 57.5/57.8 → 62.6/62.7 tok/s.
//     4 and 8 KB ahead were mostly slower (w2 4096×4096 193 and 191 against 183 µs, 2048×2048
//     53.9 and 52.0 against 49.7; 5632×2048 144 and 139 against 143); T0 in four streams 232
//     against 221 µs.
//   - Exact mode (tables of 32 KB per 4096 activations fill L1): L2, 12 KB ahead. TQ2_0 decode
//     52–56 → 74 tok/s.
//   - AVX2 and AVX-512 BW lookup with int8 tables: L1, 4 KB ahead. L2 12 KB ahead is faster on
//     the kernel benchmark's G = 128 matrices from memory (AVX2 4096×4096 w2 245 → 167 µs, w4
//     468 → 327 µs), but TinyLlama Q4_0 (G = 32) decode on 1 thread was not faster with AVX2
//     (34.5/35.6 → 34.3/33.7 tok/s) and slower with AVX-512 BW (36.6/36.5 → 32.8/32.1).
//   - Dot-product kernels (many tokens per weight load, compute-bound): L1, 4 KB ahead.
static inline void PrefetchWeightsToL1(const uint8_t* current) {
  _mm_prefetch(reinterpret_cast<const char*>(current + 4096), _MM_HINT_T0);
}

template <size_t kAhead>
static inline void PrefetchWeightsToL2(const uint8_t* current) {
  _mm_prefetch(reinterpret_cast<const char*>(current + kAhead), _MM_HINT_T1);
}

// A block that reads several consecutive tiles at once runs one stream per tile, and the tiles
// lie back to back: the look-ahead of a stream that passes its tile's end would land in the
// next tile, which the neighbouring stream is reading already. It goes to the same place in
// the tile after the block's last instead, the one the next block starts on, so every stream
// begins warm. `skip` is the bytes of the block's other tiles (tiles − 1 tile sizes).
// The address is computed as an integer: past the matrix's last block it points outside any
// object, which a prefetch may do and pointer arithmetic may not.
template <size_t kAhead>
static inline void PrefetchTileStreamToL2(const uint8_t* current, const uint8_t* tile_end,
                                          size_t skip) {
  uintptr_t ahead = reinterpret_cast<uintptr_t>(current) + kAhead;
  if (ahead >= reinterpret_cast<uintptr_t>(tile_end)) ahead += skip;
  _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T1);
}

}  // namespace lutra::kernels::lutgemm::x86
