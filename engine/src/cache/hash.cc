#include "engine/src/cache/hash.h"

#include <cstring>

namespace lutra::engine::cache {

namespace {

// Odd 64-bit constants with well-mixed bits (from the golden ratio and other irrationals).
constexpr uint64_t kMulA = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kMulB = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kMulC = 0x165667B19E3779F9ull;

inline uint64_t Rotl(uint64_t v, int r) {
  return (v << r) | (v >> (64 - r));
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian targets only (all of lutra's)
  return v;
}

inline uint64_t Lane(uint64_t acc, uint64_t word) {
  return Rotl(acc + word * kMulB, 31) * kMulA;
}

// Spreads every input bit over the whole word (the final avalanche).
inline uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= kMulB;
  h ^= h >> 29;
  h *= kMulC;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t Hash64(const void* data, size_t bytes, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t a = seed + kMulA + kMulB, b = seed + kMulB, c = seed, d = seed - kMulA;
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    a = Lane(a, Load64(p + i));
    b = Lane(b, Load64(p + i + 8));
    c = Lane(c, Load64(p + i + 16));
    d = Lane(d, Load64(p + i + 24));
  }
  uint64_t h = Rotl(a, 1) + Rotl(b, 7) + Rotl(c, 12) + Rotl(d, 18) + uint64_t(bytes);
  for (; i + 8 <= bytes; i += 8) h = Rotl(h ^ Lane(0, Load64(p + i)), 27) * kMulA + kMulC;
  for (; i < bytes; ++i) h = Rotl(h ^ (p[i] * kMulC), 11) * kMulA;
  return Mix(h);
}

std::string Hex64(uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[size_t(i)] = digits[v & 15];
  return s;
}

}  // namespace lutra::engine::cache
