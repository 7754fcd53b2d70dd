// The i-quant tables of iq_grids.h, expanded at compile time from the compact encoding.
#include "kernels/kquant/iq_grids.h"

#include <cstddef>

namespace lutra::kernels::kquant {
namespace {

#include "kernels/kquant/iq_grid_codes.inc"

// Row i: value j is alphabet[(codes[i] >> (kBits·j)) & mask] in byte j (weight order).
template <typename Row, size_t kValues, int kBits, size_t N, size_t A>
constexpr std::array<Row, N> Expand(const uint16_t (&codes)[N], const int (&alphabet)[A]) {
  std::array<Row, N> rows{};
  for (size_t i = 0; i < N; ++i) {
    Row row = 0;
    for (size_t j = 0; j < kValues; ++j) {
      const int letter = (codes[i] >> (kBits * j)) & ((1 << kBits) - 1);
      row |= Row(uint8_t(alphabet[letter])) << (8 * j);
    }
    rows[i] = row;
  }
  return rows;
}

constexpr int kIq2Values[] = {8, 25, 43};
constexpr int kIq3xxsValues[] = {4, 12, 20, 28, 36, 44, 52, 62};
constexpr int kIq3sValues[] = {1, 3, 5, 7, 9, 11, 13, 15};
constexpr int kIq1Values8[] = {-8, 0, 8};

template <size_t N>
constexpr std::array<uint16_t, N> Words(const uint16_t (&codes)[N]) {
  std::array<uint16_t, N> w{};
  for (size_t i = 0; i < N; ++i) w[i] = codes[i];
  return w;
}

constexpr std::array<uint8_t, 128> Signs() {
  std::array<uint8_t, 128> s{};
  for (int i = 0; i < 128; ++i) {
    int bits = 0;
    for (int b = 0; b < 7; ++b) bits += (i >> b) & 1;
    s[size_t(i)] = uint8_t(i | (bits & 1) << 7);
  }
  return s;
}

}  // namespace

// constinit: initialized at compile time, so ready before any static initializer can call a
// kernel.
constinit const std::array<uint64_t, 256> kIq2xxsGrid =
    Expand<uint64_t, 8, 2>(kIq2xxsGridCodes, kIq2Values);
constinit const std::array<uint64_t, 512> kIq2xsGrid =
    Expand<uint64_t, 8, 2>(kIq2xsGridCodes, kIq2Values);
constinit const std::array<uint64_t, 1024> kIq2sGrid =
    Expand<uint64_t, 8, 2>(kIq2sGridCodes, kIq2Values);
constinit const std::array<uint32_t, 256> kIq3xxsGrid =
    Expand<uint32_t, 4, 3>(kIq3xxsGridCodes, kIq3xxsValues);
constinit const std::array<uint32_t, 512> kIq3sGrid =
    Expand<uint32_t, 4, 3>(kIq3sGridCodes, kIq3sValues);
constinit const std::array<uint64_t, 2048> kIq1sGrid8 =
    Expand<uint64_t, 8, 2>(kIq1sGridCodes, kIq1Values8);
constinit const std::array<uint8_t, 128> kIqSigns = Signs();

alignas(64) constinit const std::array<uint16_t, 256> kIq2xxsCodes = Words(kIq2xxsGridCodes);
alignas(64) constinit const std::array<uint16_t, 512> kIq2xsCodes = Words(kIq2xsGridCodes);
alignas(64) constinit const std::array<uint16_t, 1024> kIq2sCodes = Words(kIq2sGridCodes);
alignas(64) constinit const std::array<uint16_t, 256> kIq3xxsCodes = Words(kIq3xxsGridCodes);
alignas(64) constinit const std::array<uint16_t, 512> kIq3sCodes = Words(kIq3sGridCodes);
alignas(64) constinit const std::array<uint16_t, 2048> kIq1sCodes = Words(kIq1sGridCodes);

}  // namespace lutra::kernels::kquant
