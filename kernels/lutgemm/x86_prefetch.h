// Software prefetch of the packed weight stream, shared by the x86 lookup kernels.
#pragma once

#include <xmmintrin.h>

#include <cstddef>
#include <cstdint>

namespace lutra::kernels::lutgemm::x86 {

// The hardware prefetchers stop at page boundaries, and one core streaming from memory needs a
// few KB in flight, so the kernels request the weight stream ahead of their loads, into L1 (T0)
// or into L2 (T1, which also tracks more outstanding misses). Which one is faster depends on the
// kernel: the weight stream shares L1 with the tables, and T0 lines evict them. The choice per
// kernel (the runs that decided each: docs/measurements.md, "x86 weight prefetch"):
//   - VBMI+VNNI lookup, one tile per table load (4-bit): L1, 4 KB ahead.
//   - VBMI+VNNI lookup, four tiles per table load (1-, 2-, 3-bit): L2, 2 KB ahead in each stream,
//     and past a tile's end in the next block's tile (PrefetchTileStreamToL2).
//   - Exact mode (tables of 32 KB per 4096 activations fill L1): L2, 12 KB ahead.
//   - AVX2 and AVX-512 BW lookup with int8 tables: L1, 4 KB ahead (L2 won on G = 128 benchmark
//     matrices but not in G = 32 decode).
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
