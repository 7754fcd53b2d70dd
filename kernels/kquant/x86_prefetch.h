// Software prefetch of the weight stream in one-token decode (the kquant x86 kernels).
// static inline: included by the x86 kquant files only (docs/kernels.md on shared headers).
#pragma once

#include <xmmintrin.h>

#include <cstddef>
#include <cstdint>

namespace lutra::kernels::kquant::x86 {

// One token reads every weight once, straight from memory, and one core's hardware prefetchers
// keep too few lines in flight to cover the memory latency (they also stop at page
// boundaries): on an Intel Xeon (Emerald Rapids, ~11 GB/s per core) IQ4_XS 4096×4096 decode
// took 1200 µs out of cache against 590 in cache, and 4 KiB ahead into L1 made it 720–765 µs
// (8 KiB: about the same, 2 KiB: 815–920; into L2: no better) and TinyLlama IQ4_XS decode
// 11–12 → 18–19.6 tok/s (docs/measurements.md). Rows lie back to back, so past a row's end
// the look-ahead lands in the next row, the one read next.
inline constexpr size_t kDecodePrefetchBytes = 4096;

// Every cache line of the kBytes at `p`, kDecodePrefetchBytes ahead. The address is computed
// as an integer: past the matrix's end it points outside any object, which a prefetch may do
// and pointer arithmetic may not.
template <size_t kBytes>
static inline void PrefetchAhead(const uint8_t* p) {
  const uintptr_t ahead = reinterpret_cast<uintptr_t>(p) + kDecodePrefetchBytes;
  for (size_t o = 0; o < kBytes; o += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(ahead + o), _MM_HINT_T0);
  }
}

}  // namespace lutra::kernels::kquant::x86
