// Software prefetch of the packed weight stream, shared by the x86 lookup kernels.
#pragma once

#include <xmmintrin.h>

#include <cstddef>
#include <cstdint>

namespace lutra::kernels::lutgemm::x86 {

// The hardware prefetchers stop at page boundaries, and one core streaming at ≈ 25 GB/s with
// ≈ 100–150 ns of memory latency needs 3–4 KB in flight, so the kernels request the weight
// stream ahead of their loads.
//
// Int8 tables (16 KB per 4096 activations) leave room in L1, and prefetching 4 KB ahead into
// L1 (T0) is fastest there. The exact mode's tables are twice that (32 KB per 4096, 44 KB for
// K = 5632) and fill L1, where T0 prefetches of a stream that is read once evict them: those
// kernels prefetch into L2 (T1), 12 KB ahead, since L2 also tracks more outstanding misses.
// Measured on Zen 4, TinyLlama-1.1B decode on 1 thread: TQ2_0 (exact) 52–56 → 74 tok/s with
// T1; Q4_0 (int8 tables) went 37–39 → 34 tok/s with T1, so it keeps T0.
template <bool kTablesFillL1>
static inline void PrefetchWeights(const uint8_t* current) {
  if constexpr (kTablesFillL1) {
    _mm_prefetch(reinterpret_cast<const char*>(current + 12288), _MM_HINT_T1);
  } else {
    _mm_prefetch(reinterpret_cast<const char*>(current + 4096), _MM_HINT_T0);
  }
}

// For kernels that stream several tiles at once (x86_avx512icl.cc): T0 prefetches 4 KB ahead in
// each of four streams leave too little of L1 to the tables, so these go to L2. Measured
// against one stream with T0, 4 rounds, 2-bit from memory: 4096×4096 230 → 221 µs,
// 11008×4096 617 → 590 µs (T0 in four streams: 232 µs).
static inline void PrefetchWeightsToL2(const uint8_t* current) {
  _mm_prefetch(reinterpret_cast<const char*>(current + 4096), _MM_HINT_T1);
}

}  // namespace lutra::kernels::lutgemm::x86
