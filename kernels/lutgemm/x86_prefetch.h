// Software prefetch of the packed weight stream, shared by the x86 lookup kernels.
#pragma once

#include <xmmintrin.h>

#include <cstddef>
#include <cstdint>

namespace lutra::kernels::lutgemm::x86 {

// How far ahead of the current load the weight stream is requested. One core streaming at
// ≈ 25 GB/s with ≈ 100–150 ns of memory latency needs 3–4 KB in flight; 12 KB keeps the
// stream ahead across the page boundaries where the hardware prefetchers stop. Measured on
// Zen 4, 4096×4096 out of cache: 4 KB → 12 KB with T1 took the exact ternary kernel from
// 350 µs to 217–249 µs.
constexpr size_t kPrefetchDistance = 12288;

// Into L2 (T1), not L1: the activation tables (16 KB per 4096 activations, 32 KB in exact
// mode) must stay in the 32–48 KB L1, and T0 prefetches of a stream that is read once evict
// them. L2 also tracks more outstanding misses than L1's fill buffers.
static inline void PrefetchWeights(const uint8_t* current) {
  _mm_prefetch(reinterpret_cast<const char*>(current + kPrefetchDistance), _MM_HINT_T1);
}

}  // namespace lutra::kernels::lutgemm::x86
