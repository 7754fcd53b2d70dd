// packw: pack → unpack is bit-exact for every bit width, group, symmetric/asymmetric and
// ternary, at tile and group boundaries; padding is zero; descriptor names match.
#include <gtest/gtest.h>

#include "kernels/packw/packw.h"
#include "tests/kernels/lut_testing.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::packw {
namespace {

using lut_testing::QMatrix;
using lut_testing::RandomMatrix;

TEST(Packw, NamesMatchDescriptors) {
  auto check = [&](const char* name, arch::IsaSet isa, uint32_t mr, uint32_t g) {
    std::cmatch m;
    ASSERT_TRUE(testing::MatchName(name, "lutra_packw_(pack|unpack)_([0-9]+)x([0-9]+)__([a-z0-9]+)",
                                   isa, &m));
    EXPECT_EQ(std::stoul(m[2].str()), mr) << name;
    EXPECT_EQ(std::stoul(m[3].str()), g) << name;
    EXPECT_EQ(mr, kTileRows) << name;
    EXPECT_EQ(g, kQuad) << name;
  };
  for (const auto& k : PackKernels()) check(k.name, k.isa, k.mr, k.g);
  for (const auto& k : UnpackKernels()) check(k.name, k.isa, k.mr, k.g);
}

TEST(Packw, ValidateRejectsBadShapes) {
  EXPECT_EQ(Validate({64, 128, 2, 64, false}), nullptr);
  EXPECT_NE(Validate({0, 128, 2, 64, false}), nullptr);
  EXPECT_NE(Validate({64, 0, 2, 64, false}), nullptr);
  EXPECT_NE(Validate({64, 128, 5, 64, false}), nullptr);
  EXPECT_NE(Validate({64, 128, 0, 64, false}), nullptr);
  EXPECT_NE(Validate({64, 128, 2, 48, false}), nullptr);
}

TEST(Packw, RoundTripIsBitExact) {
  testing::Rng rng(11);
  const size_t ms[] = {1, 17, 32, 33, 70};
  const size_t ks[] = {1, 5, 32, 64, 130, 257};
  for (const auto& pk : PackKernels()) {
    for (const auto& uk : UnpackKernels()) {
      for (uint32_t bits = 1; bits <= 5; ++bits) {  // 5 = ternary
        for (uint32_t group : {32u, 64u, 128u}) {
          for (bool asym : {false, true}) {
            for (size_t m : ms) {
              for (size_t k : ks) {
                const bool ternary = bits == 5;
                const QMatrix q =
                    RandomMatrix(rng, {m, k, ternary ? 2 : bits, group, asym}, ternary, false);
                const Shape& s = q.shape;
                lut_testing::PackedMatrix p(q);
                ASSERT_TRUE(p.bits.Intact() && p.scale.Intact() && p.bias.Intact());
                std::vector<uint8_t> q2(m * k, 0xFF), z2(m * Groups(s), 0xFF);
                std::vector<float> s2(m * Groups(s), -1.0f);
                uk.fn(s, {p.bits.data(), p.scale.data(), p.bias.data(), p.zero.data()},
                      {q2.data(), s2.data(), z2.data()});
                const std::string where =
                    std::string(pk.name) + " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                    " b=" + std::to_string(s.bits) + " G=" + std::to_string(group);
                ASSERT_EQ(q2, q.q) << where;
                ASSERT_EQ(s2, q.scale) << where;
                if (s.asymmetric) {
                  ASSERT_EQ(z2, q.zero) << where;
                }
                // bias = scale·((2^b − 1)/2 − z) in tile order; 0 for symmetric and padding.
                for (size_t r = 0; r < Tiles(s) * kTileRows; ++r) {
                  for (size_t g = 0; g < Groups(s); ++g) {
                    const float b = p.bias[ScaleIndex(s, r, g)];
                    if (r >= m || !s.asymmetric) {
                      ASSERT_EQ(b, 0.0f) << where;
                    } else {
                      const float half = 0.5f * float((1u << s.bits) - 1);
                      ASSERT_EQ(
                          b, q.scale[r * Groups(s) + g] * (half - float(q.zero[r * Groups(s) + g])))
                          << where;
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

// The packed bits of a symmetric matrix whose only set code bit is `plane` of (row, col).
std::vector<uint8_t> PackOneBit(const Shape& s, size_t row, size_t col, uint32_t plane) {
  std::vector<uint8_t> q(s.m * s.k, 0);
  q[row * s.k + col] = uint8_t(1u << plane);
  std::vector<float> sc(s.m * Groups(s), 1.0f);
  std::vector<uint8_t> bits(BitsBytes(s));
  std::vector<float> ps(ScaleCount(s)), pb(ScaleCount(s));
  Select(0).pack->fn(s, {q.data(), sc.data(), nullptr},
                     {bits.data(), ps.data(), pb.data(), nullptr});
  return bits;
}

// The layout itself, checked on single set bits: code bit `plane` of (row, col) lands in
// (tile, group, MSB-first plane slot, quad) at byte p, nibble bit u as docs/lut-format.md says.
TEST(Packw, SingleBitsLandWhereTheFormatSays) {
  const Shape s{40, 72, 3, 32, false};
  const size_t groups = Groups(s);
  for (size_t row : {0u, 7u, 8u, 15u, 16u, 23u, 31u, 32u, 39u}) {
    for (size_t col : {0u, 3u, 4u, 31u, 33u, 71u}) {
      for (uint32_t plane = 0; plane < s.bits; ++plane) {
        std::vector<uint8_t> bits = PackOneBit(s, row, col, plane);
        const size_t tile = row / 32, r = row % 32, g = col / s.group;
        const size_t quad = (col % s.group) / 4, u = col % 4;
        const size_t rr = r % 16, p = rr < 8 ? 2 * rr : 2 * (rr - 8) + 1;
        const size_t slot = s.bits - 1 - plane;
        const size_t offset =
            (((tile * groups + g) * s.bits + slot) * (s.group / 4) + quad) * 16 + p;
        for (size_t i = 0; i < bits.size(); ++i) {
          const uint8_t want = i == offset ? uint8_t(1u << ((r / 16) * 4 + u)) : 0;
          ASSERT_EQ(bits[i], want)
              << "row " << row << " col " << col << " plane " << plane << " byte " << i;
        }
      }
    }
  }
}

// Row-quad order (packw.h): after ToRowQuads the same single bit sits in the plane's 64-byte
// chunk of its quad (quad / 4) at byte 4·(r mod 16) + quad mod 4, and ToCanonical restores
// the packed bytes exactly.
TEST(Packw, RowQuadOrderPlacesRowsByDword) {
  const Shape s{40, 200, 2, 64, false};
  const size_t groups = Groups(s);
  for (size_t row : {0u, 7u, 8u, 15u, 16u, 23u, 31u, 32u, 39u}) {
    for (size_t col : {0u, 3u, 4u, 17u, 63u, 64u, 130u, 199u}) {
      for (uint32_t plane = 0; plane < s.bits; ++plane) {
        std::vector<uint8_t> bits = PackOneBit(s, row, col, plane);
        const std::vector<uint8_t> canonical = bits;
        ToRowQuads(bits.data(), bits.size());
        const size_t tile = row / 32, r = row % 32, g = col / s.group;
        const size_t quad = (col % s.group) / 4, u = col % 4;
        const size_t slot = s.bits - 1 - plane;
        const size_t plane_start = ((tile * groups + g) * s.bits + slot) * (s.group / 4) * 16;
        const size_t offset = plane_start + (quad / 4) * 64 + 4 * (r % 16) + quad % 4;
        for (size_t i = 0; i < bits.size(); ++i) {
          const uint8_t want = i == offset ? uint8_t(1u << ((r / 16) * 4 + u)) : 0;
          ASSERT_EQ(bits[i], want)
              << "row " << row << " col " << col << " plane " << plane << " byte " << i;
        }
        ToCanonical(bits.data(), bits.size());
        ASSERT_EQ(bits, canonical) << "row " << row << " col " << col << " plane " << plane;
      }
    }
  }
}

// The bits array as docs/lut-format.md defines it, one code bit at a time: bit `plane` of
// (row, col) at (tile, group, MSB-first plane slot, quad) byte ρ⁻¹(row mod 16), nibble bit
// col mod 4 of the low (rows 0-15 of the tile) or high (16-31) nibble; everything else zero.
std::vector<uint8_t> BitsByDefinition(const QMatrix& q) {
  const Shape& s = q.shape;
  std::vector<uint8_t> bits(BitsBytes(s), 0);
  for (size_t row = 0; row < s.m; ++row) {
    const size_t tile = row / 32, r = row % 32, rr = r % 16;
    const size_t p = rr < 8 ? 2 * rr : 2 * (rr - 8) + 1;
    for (size_t col = 0; col < s.k; ++col) {
      const size_t g = col / s.group, quad = (col % s.group) / 4, u = col % 4;
      for (uint32_t plane = 0; plane < s.bits; ++plane) {
        if (((q.q[row * s.k + col] >> plane) & 1) == 0) continue;
        const size_t slot = s.bits - 1 - plane;
        const size_t offset =
            (((tile * Groups(s) + g) * s.bits + slot) * (s.group / 4) + quad) * 16 + p;
        bits[offset] |= uint8_t(1u << ((r / 16) * 4 + u));
      }
    }
  }
  return bits;
}

class PackVariant : public ::testing::TestWithParam<PackKernel<PackFn>> {};

// Every pack variant against the definition on random codes of every width, group and
// symmetry, at tile and 64-column boundaries, into buffers full of garbage (padding must be
// written as zeros, not assumed).
TEST_P(PackVariant, MatchesTheLayoutDefinition) {
  const PackKernel<PackFn>& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  testing::Rng rng(23);
  const size_t ms[] = {1, 31, 33, 70};
  const size_t ks[] = {1, 5, 32, 63, 64, 65, 130, 257};
  for (uint32_t bits = 1; bits <= 5; ++bits) {  // 5 = ternary
    for (uint32_t group : {32u, 64u, 128u}) {
      for (bool asym : {false, true}) {
        for (size_t m : ms) {
          for (size_t k : ks) {
            const bool ternary = bits == 5;
            const QMatrix q =
                RandomMatrix(rng, {m, k, ternary ? 2 : bits, group, asym}, ternary, false);
            const Shape& s = q.shape;
            std::vector<uint8_t> got(BitsBytes(s), 0xA5), zero(ScaleCount(s), 0xA5);
            std::vector<float> scale(ScaleCount(s), -3.0f), bias(ScaleCount(s), -3.0f);
            v.fn(s, q.view(),
                 {got.data(), scale.data(), bias.data(), s.asymmetric ? zero.data() : nullptr});
            const std::string where = std::string(v.name) + " m=" + std::to_string(m) +
                                      " k=" + std::to_string(k) + " b=" + std::to_string(s.bits) +
                                      " G=" + std::to_string(group) + (asym ? " asym" : "");
            ASSERT_EQ(got, BitsByDefinition(q)) << where;
            const float half = 0.5f * float((1u << s.bits) - 1);
            for (size_t r = 0; r < Tiles(s) * kTileRows; ++r) {
              for (size_t g = 0; g < Groups(s); ++g) {
                const size_t i = ScaleIndex(s, r, g), src = r * Groups(s) + g;
                const float want_scale = r < m ? q.scale[src] : 0.0f;
                const float want_bias =
                    r < m && s.asymmetric ? q.scale[src] * (half - float(q.zero[src])) : 0.0f;
                ASSERT_EQ(scale[i], want_scale) << where << " row " << r << " group " << g;
                ASSERT_EQ(bias[i], want_bias) << where << " row " << r << " group " << g;
                if (s.asymmetric) {
                  ASSERT_EQ(zero[i], r < m ? q.zero[src] : 0) << where << " row " << r;
                }
              }
            }
          }
        }
      }
    }
  }
}

LUTRA_INSTANTIATE_REGISTRY(PackVariant, PackKernels());

TEST(Packw, RowQuadRoundTripIsExactOnRandomBits) {
  testing::Rng rng(5);
  std::vector<uint8_t> bits(64 * 37);
  for (auto& b : bits) b = uint8_t(rng.Int(0, 255));
  std::vector<uint8_t> reordered = bits;
  ToRowQuads(reordered.data(), reordered.size());
  EXPECT_NE(reordered, bits);
  ToCanonical(reordered.data(), reordered.size());
  EXPECT_EQ(reordered, bits);
}

}  // namespace
}  // namespace lutra::kernels::packw
