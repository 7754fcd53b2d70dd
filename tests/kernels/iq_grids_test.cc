// The i-quant tables (kernels/kquant/iq_grids.h) after their compile-time expansion: sizes,
// every value in its alphabet, no repeated point, llama.cpp's ascending order, the sign rule,
// and a digest of each table against the one of llama.cpp's own table.
//
// The digests are FNV-1a 64 over the table's bytes as llama.cpp holds them in memory (its
// uint64 / uint32 entries little-endian, ksigns_iq2xs as bytes; iq1s_grid's −1, 0, 1, which
// lutra keeps multiplied by 8). scripts/gen_iq_grids.py prints them, computed twice from
// llama.cpp's ggml/src/ggml-common.h: from its parse of the header and by a C program compiled
// against the header (#define GGML_COMMON_DECL_C, GGML_COMMON_IMPL_C, #include it, hash each
// array over sizeof it), which must agree. A table that differs from llama.cpp's in any byte,
// however it was generated, fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "kernels/kquant/iq_grids.h"

namespace lutra::kernels::kquant {
namespace {

uint64_t Fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

// The rows' bytes in memory order (weight order), each divided by `divisor` as a signed byte.
template <typename Row, size_t N>
std::vector<uint8_t> Bytes(const std::array<Row, N>& rows, int divisor = 1) {
  std::vector<uint8_t> out;
  for (Row r : rows) {
    for (size_t j = 0; j < sizeof(Row); ++j) out.push_back(uint8_t(int8_t(r >> (8 * j)) / divisor));
  }
  return out;
}

template <typename Row, size_t N>
void CheckGrid(const std::array<Row, N>& rows, const std::vector<int>& alphabet, int divisor,
               uint64_t digest, const char* name) {
  std::set<Row> seen;
  for (size_t i = 0; i < N; ++i) {
    EXPECT_TRUE(seen.insert(rows[i]).second) << name << " point " << i << " repeated";
    for (size_t j = 0; j < sizeof(Row); ++j) {
      const int v = int8_t(rows[i] >> (8 * j));
      EXPECT_NE(std::find(alphabet.begin(), alphabet.end(), v), alphabet.end())
          << name << " point " << i << " value " << j << " = " << v;
    }
  }
  EXPECT_EQ(Fnv1a(Bytes(rows, divisor)), digest) << name;
}

template <typename Row, size_t N>
bool Ascending(const std::array<Row, N>& rows) {
  return std::is_sorted(rows.begin(), rows.end(), [](Row a, Row b) { return a <= b; });
}

TEST(IqGrids, MatchLlamaCpp) {
  CheckGrid(kIq2xxsGrid, {8, 25, 43}, 1, 0xbb4ee025b5ac6e8eull, "iq2xxs");
  CheckGrid(kIq2xsGrid, {8, 25, 43}, 1, 0xc9b1ee61e79909bdull, "iq2xs");
  CheckGrid(kIq2sGrid, {8, 25, 43}, 1, 0x123edd38a3b62b90ull, "iq2s");
  CheckGrid(kIq3xxsGrid, {4, 12, 20, 28, 36, 44, 52, 62}, 1, 0xdfa5dc83d6a155d5ull, "iq3xxs");
  CheckGrid(kIq3sGrid, {1, 3, 5, 7, 9, 11, 13, 15}, 1, 0xfa37020c25b44829ull, "iq3s");
  CheckGrid(kIq1sGrid8, {-8, 0, 8}, 8, 0x6703ed863501ae2eull, "iq1s");
  // llama.cpp lists the grids whose values are all positive in ascending order.
  EXPECT_TRUE(Ascending(kIq2xxsGrid));
  EXPECT_TRUE(Ascending(kIq2xsGrid));
  EXPECT_TRUE(Ascending(kIq2sGrid));
  EXPECT_TRUE(Ascending(kIq3xxsGrid));
  EXPECT_TRUE(Ascending(kIq3sGrid));
}

// Seven stored sign bits and an eighth that makes the count even; llama.cpp's ksigns_iq2xs.
TEST(IqGrids, SignsFollowTheParityRule) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 128; ++i) {
    const uint8_t s = kIqSigns[size_t(i)];
    EXPECT_EQ(s & 127, i);
    EXPECT_EQ(__builtin_popcount(s) % 2, 0) << i;
    bytes.push_back(s);
  }
  EXPECT_EQ(Fnv1a(bytes), 0xf19ba8f8c3292ba5ull);
}

}  // namespace
}  // namespace lutra::kernels::kquant
