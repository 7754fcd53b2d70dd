// A fast 64-bit hash for the repack cache: the entry names (source identity and kernel
// config) and the checksums that catch a damaged entry on every read. Not cryptographic: it
// detects accidents (a torn copy, a flipped sector, a changed file), not an attacker who can
// write the cache directory anyway.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lutra::engine::cache {

// Hash of `bytes` bytes; `seed` chains calls (hash of b after hash of a: Hash64(b, n, h_a)).
// Four independent multiply-rotate lanes over 32-byte steps: several GB/s per core, so
// checking a whole entry costs a fraction of reading it.
uint64_t Hash64(const void* data, size_t bytes, uint64_t seed = 0);

inline uint64_t Hash64(std::string_view s, uint64_t seed = 0) {
  return Hash64(s.data(), s.size(), seed);
}

// 16 lowercase hex digits.
std::string Hex64(uint64_t v);

}  // namespace lutra::engine::cache
