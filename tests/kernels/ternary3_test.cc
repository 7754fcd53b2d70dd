// ternary3 (1.67-bit ternary layout): pack → unpack is bit-exact at tile and block boundaries,
// bad codes are refused, and every registry variant's table build + GEMM equals the W·A8
// product computed here from the codes (int64 Σ (q − 1)·xq per row, then one fp32 rounding
// of S·(scale·act), the order the kernels state) bit for bit, including adversarial
// activations (every int8 extreme, −128 too) over long rows, where an int16 or byte-sum
// overflow anywhere would show.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/ternary3/ternary3.h"
#include "tests/kernels/lut_testing.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::ternary3 {

void PrintTo(const Kernels& k, std::ostream* os) {
  *os << k.name;
}

namespace {

using testing::GuardedBuffer;
using testing::Rng;

std::vector<uint8_t> RandomCodes(Rng& rng, size_t count) {
  std::vector<uint8_t> q(count);
  for (auto& c : q) c = uint8_t(rng.Int(0, 2));
  return q;
}

struct Packed {
  Packed(size_t m, size_t k, const std::vector<uint8_t>& q)
      : data(WeightBytes(m, k)), sign_sum(Tiles(m) * kTileRows) {
    ok = Pack(m, k, q.data(), data.data(), sign_sum.data());
  }
  GuardedBuffer<uint8_t> data;
  GuardedBuffer<int32_t> sign_sum;
  bool ok = false;
};

TEST(Ternary3, PackUnpackRoundTripIsBitExact) {
  Rng rng(7);
  for (size_t m : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 70u}) {
    for (size_t k : {1u, 2u, 3u, 4u, 11u, 12u, 13u, 25u, 200u}) {
      const auto q = RandomCodes(rng, m * k);
      Packed p(m, k, q);
      ASSERT_TRUE(p.ok) << m << "x" << k;
      ASSERT_TRUE(p.data.Intact() && p.sign_sum.Intact()) << m << "x" << k;
      std::vector<uint8_t> back(m * k, 9);
      Unpack(m, k, p.data.data(), back.data());
      ASSERT_EQ(back, q) << m << "x" << k;
    }
  }
}

TEST(Ternary3, PackRefusesCodesAboveTwo) {
  std::vector<uint8_t> q(5 * 7, 1);
  q[17] = 3;
  Packed p(5, 7, q);
  EXPECT_FALSE(p.ok);
}

TEST(Ternary3, NamesAndSelection) {
  for (const Kernels& k : AllKernels()) {
    std::cmatch m;
    ASSERT_TRUE(
        testing::MatchName(k.name, "lutra_ternary3_w158a8_32x([0-9]+)g3__([a-z0-9]+)", k.isa, &m));
    EXPECT_EQ(std::stoul(m[1].str()), k.nr) << k.name;
  }
  EXPECT_EQ(AllKernels().back().isa, arch::kLevelScalar);
  EXPECT_EQ(Select(arch::kLevelScalar), &AllKernels().back());
  EXPECT_FALSE(Preferred(arch::kLevelScalar));
}

// y = S·(scale·act) with S the exact integer product, for tokens xq[t·k + c].
void CheckVariant(const Kernels& v, size_t m, size_t k, size_t n, const std::vector<uint8_t>& q,
                  const std::vector<int8_t>& xq, const std::string& where) {
  Rng rng(uint64_t(m * 131 + k * 7 + n));
  Packed p(m, k, q);
  ASSERT_TRUE(p.ok) << where;
  GuardedBuffer<float> scale(Tiles(m) * kTileRows);
  for (size_t r = 0; r < scale.size(); ++r) scale[r] = rng.Uniform(0.001f, 0.1f);
  std::vector<float> act(n);
  for (auto& a : act) a = rng.Uniform(0.001f, 0.05f);

  const size_t xq_stride = k + 5;  // not a multiple of anything the kernels use
  GuardedBuffer<int8_t> xin(n * xq_stride);
  for (size_t t = 0; t < n; ++t) {
    for (size_t c = 0; c < xq_stride; ++c) xin[t * xq_stride + c] = c < k ? xq[t * k + c] : 99;
  }
  GuardedBuffer<uint8_t> tables(n * TableBytes(k));
  v.build(k, n, xin.data(), xq_stride, tables.data());

  const Weights w{m, k, p.data.data(), scale.data(), p.sign_sum.data()};
  const size_t y_stride = m + 3;
  GuardedBuffer<float> y(n * y_stride);
  for (size_t i = 0; i < y.size(); ++i) y[i] = -7.0f;
  // Two calls over tile ranges, as the threaded driver splits them.
  const size_t tiles = Tiles(m), split = tiles / 2;
  if (split > 0) v.gemm(w, tables.data(), act.data(), n, 0, split, y.data(), y_stride);
  v.gemm(w, tables.data(), act.data(), n, split, tiles, y.data(), y_stride);
  ASSERT_TRUE(y.Intact() && tables.Intact() && xin.Intact() && p.data.Intact()) << where;

  for (size_t t = 0; t < n; ++t) {
    for (size_t r = 0; r < m; ++r) {
      int64_t s = 0;
      for (size_t c = 0; c < k; ++c) s += (int64_t(q[r * k + c]) - 1) * xq[t * k + c];
      const float want = float(s) * (scale[r] * act[t]);
      ASSERT_EQ(y[t * y_stride + r], want) << where << " t=" << t << " row=" << r << " S=" << s;
    }
    for (size_t r = m; r < y_stride; ++r) ASSERT_EQ(y[t * y_stride + r], -7.0f) << where;
  }
}

class Ternary3Variant : public ::testing::TestWithParam<Kernels> {};

TEST_P(Ternary3Variant, MatchesIntegerReference) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const bool small = lut_testing::SmallScale();
  const std::vector<size_t> ms =
      small ? std::vector<size_t>{1, 32, 33} : std::vector<size_t>{1, 16, 31, 32, 33, 100};
  const std::vector<size_t> ks =
      small ? std::vector<size_t>{1, 13, 200} : std::vector<size_t>{1, 2, 3, 12, 13, 14, 200, 2600};
  const std::vector<size_t> ns =
      small ? std::vector<size_t>{1, 5} : std::vector<size_t>{1, 2, 3, 4, 5, 8, 17};
  Rng rng(11);
  for (size_t m : ms) {
    for (size_t k : ks) {
      for (size_t n : ns) {
        const auto q = RandomCodes(rng, m * k);
        std::vector<int8_t> xq(n * k);
        for (auto& x : xq) x = int8_t(rng.Int(-127, 127));
        CheckVariant(v, m, k, n, q, xq,
                     std::string(v.name) + " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                         " n=" + std::to_string(n));
      }
    }
  }
}

// Every table entry at its extremes (|V| up to 3·128), the same sign in every lookup of a
// row (the accumulators' worst case), over rows long enough that a 16-bit sum would wrap.
TEST_P(Ternary3Variant, AdversarialActivationsStayExact) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const size_t m = 64, k = lut_testing::SmallScale() ? 3000 : 30000, n = 5;
  Rng rng(5);
  std::vector<uint8_t> q(m * k);
  for (size_t r = 0; r < m; ++r) {
    for (size_t c = 0; c < k; ++c) {
      switch (r % 4) {
        case 0:
          q[r * k + c] = 2;
          break;  // all +1
        case 1:
          q[r * k + c] = 0;
          break;  // all −1
        case 2:
          q[r * k + c] = uint8_t(c % 2 == 0 ? 2 : 0);
          break;  // alternating
        default:
          q[r * k + c] = uint8_t(rng.Int(0, 2));
          break;
      }
    }
  }
  std::vector<int8_t> xq(n * k);
  for (size_t c = 0; c < k; ++c) {
    xq[0 * k + c] = 127;
    xq[1 * k + c] = -127;
    xq[2 * k + c] = -128;
    xq[3 * k + c] = int8_t(c % 2 == 0 ? 127 : -128);
    xq[4 * k + c] = int8_t(c == k / 2 ? 127 : 0);  // one outlier
  }
  CheckVariant(v, m, k, n, q, xq, std::string(v.name) + " adversarial");
}

INSTANTIATE_TEST_SUITE_P(Registry, Ternary3Variant, ::testing::ValuesIn(AllKernels()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           return name.substr(name.rfind('_') + 1);
                         });

}  // namespace
}  // namespace lutra::kernels::ternary3
