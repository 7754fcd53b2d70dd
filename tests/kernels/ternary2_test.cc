// ternary2 (ternary weights at 2 bits, four rows interleaved for sdot by lane): Pack and Unpack
// are inverse, the activation sums are what the layout says, and every registry variant matches
// a double-precision reference computed from the ORIGINAL row-major codes (w = q − 1) and
// scales: Σ w·a is exact, so the only error is fp32 rounding of the scaling (Bound below).
// Activations at ±127 everywhere with unit scales leave no rounding at all: there the outputs
// must be exact, which catches an int16 overflow (NEON chains) or a wrong field sign.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/f16/convert.h"
#include "kernels/ternary2/ternary2.h"
#include "tests/kernels/lut_testing.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::ternary2 {

void PrintTo(const Kernels& k, std::ostream* os) {
  *os << k.name;
}

namespace {

using testing::GuardedBuffer;
using testing::Rng;

// A ternary matrix as the loader has it: codes q ∈ {0, 1, 2} row-major, and either one fp32
// scale per row or one fp16 per row and block.
struct Ternary {
  Ternary(size_t m, size_t k, bool blocks) : m(m), k(k), blocks(blocks), q(m * k) {
    if (blocks) {
      d16.resize(m * Blocks(k));
    } else {
      d32.resize(m);
    }
  }
  double Scale(size_t r, size_t b) const {
    return blocks ? double(f16::HalfToFloat(d16[r * Blocks(k) + b])) : double(d32[r]);
  }
  size_t m, k;
  bool blocks;
  std::vector<uint8_t> q;
  std::vector<float> d32;
  std::vector<uint16_t> d16;
};

Ternary RandomTernary(Rng& rng, size_t m, size_t k, bool blocks) {
  Ternary w(m, k, blocks);
  for (auto& v : w.q) v = uint8_t(rng.Int(0, 2));
  for (auto& d : w.d32) d = rng.Uniform(-2.0f, 2.0f);
  for (auto& d : w.d16) d = f16::FloatToHalf(rng.Uniform(-0.05f, 0.05f));
  return w;
}

struct Packed {
  explicit Packed(const Ternary& w)
      : codes(CodeBytes(w.m, w.k)),
        row_scale(w.blocks ? 1 : RowScaleCount(w.m)),
        block_scale(w.blocks ? BlockScaleCount(w.m, w.k) : 1) {
    EXPECT_TRUE(Pack(w.m, w.k, w.q.data(), codes.data()));
    view = {w.m, w.k, codes.data(), nullptr, nullptr};
    if (w.blocks) {
      PackBlockScales(w.m, w.k, w.d16.data(), block_scale.data());
      view.block_scale = block_scale.data();
    } else {
      PackRowScales(w.m, w.d32.data(), row_scale.data());
      view.row_scale = row_scale.data();
    }
  }
  bool Intact() const { return codes.Intact() && row_scale.Intact() && block_scale.Intact(); }
  GuardedBuffer<uint8_t> codes;
  GuardedBuffer<float> row_scale;
  GuardedBuffer<uint16_t> block_scale;
  Weights view;
};

// n tokens of int8 activations with their scales and sums (Sums, as the engine would call it).
struct Tokens {
  Tokens(size_t k, size_t n) : k(k), n(n), q(n * k), scale(n), sums(n * SumCount(k)) {}
  void Finish() {
    for (size_t t = 0; t < n; ++t) Sums(k, q.data() + t * k, sums.data() + t * SumCount(k));
    view = {k, n, q.data(), scale.data(), sums.data()};
  }
  size_t k, n;
  GuardedBuffer<int8_t> q;
  GuardedBuffer<float> scale;
  GuardedBuffer<int32_t> sums;
  Activations view;
};

void FillRandom(Rng& rng, Tokens& a) {
  for (size_t i = 0; i < a.n * a.k; ++i) a.q[i] = int8_t(rng.Int(-127, 127));
  for (size_t t = 0; t < a.n; ++t) a.scale[t] = rng.Uniform(0.001f, 0.1f);
  a.Finish();
}

TEST(Ternary2, PackUnpackRoundTrip) {
  Rng rng(5);
  for (size_t m : {1u, 3u, 4u, 5u, 9u}) {
    for (size_t k : {256u, 768u}) {
      const Ternary w = RandomTernary(rng, m, k, false);
      GuardedBuffer<uint8_t> codes(CodeBytes(m, k));
      ASSERT_TRUE(Pack(m, k, w.q.data(), codes.data()));
      // 2 bits per weight, the padding rows included.
      EXPECT_EQ(codes.size(), (m + 3) / 4 * 4 * k / 4);
      std::vector<uint8_t> back(m * k, 0xAA);
      Unpack(m, k, codes.data(), back.data());
      EXPECT_EQ(back, w.q) << "m=" << m << " k=" << k;
      // Padding rows decode to w = 0 (code 1).
      std::vector<uint8_t> padded(Groups(m) * kRows * k);
      Unpack(Groups(m) * kRows, k, codes.data(), padded.data());
      for (size_t i = m * k; i < padded.size(); ++i) ASSERT_EQ(padded[i], 1) << i;
      ASSERT_TRUE(codes.Intact());
    }
  }
  std::vector<uint8_t> bad(4 * 256, 1), out(CodeBytes(4, 256));
  bad[300] = 3;
  EXPECT_FALSE(Pack(4, 256, bad.data(), out.data()));
}

// The layout, spelled out once: row 1's weight at k = 64·2 + 16·3 + 4·1 + 2 (chunk 2, field 3,
// register 1, byte 2) is bits 6..7 of byte 2·64 + 16·1 + 4·1 + 2, two's complement.
TEST(Ternary2, FieldPositions) {
  std::vector<uint8_t> q(4 * 256, 1);        // w = 0
  q[1 * 256 + 64 * 2 + 16 * 3 + 4 + 2] = 0;  // w = −1
  q[2 * 256 + 64 * 1 + 16 * 1 + 8 + 3] = 2;  // w = +1: chunk 1, field 1, register 2, byte 3
  std::vector<uint8_t> codes(CodeBytes(4, 256));
  ASSERT_TRUE(Pack(4, 256, q.data(), codes.data()));
  for (size_t i = 0; i < codes.size(); ++i) {
    const uint8_t want = i == 2 * 64 + 16 + 4 + 2 ? 0xD5 : i == 64 + 32 + 8 + 3 ? 0x19 : 0x15;
    ASSERT_EQ(codes[i], want) << i;
  }
}

TEST(Ternary2, SumsAndQuantize) {
  Rng rng(3);
  const size_t k = 3 * kBlock;
  std::vector<float> x(k);
  for (auto& v : x) v = rng.Normal(0.0f, 2.0f);
  x[300] = 50.0f;
  std::vector<int8_t> q(k);
  std::vector<int32_t> sums(SumCount(k));
  float s = 0;
  Quantize(k, x.data(), q.data(), &s, sums.data());
  EXPECT_FLOAT_EQ(s, 50.0f / 127);
  int32_t total = 0;
  for (size_t b = 0; b < Blocks(k); ++b) {
    int32_t want = 0;
    for (size_t i = b * kBlock; i < (b + 1) * kBlock; ++i) want += (i % 64 < 48) ? q[i] : 0;
    EXPECT_EQ(sums[b], want) << b;
    total += want;
  }
  EXPECT_EQ(sums[Blocks(k)], total);
  for (size_t i = 0; i < k; ++i) {
    ASSERT_LE(std::fabs(double(x[i]) - double(s) * q[i]), 0.5 * s * (1 + 1e-6)) << i;
  }
  std::vector<float> nan(256, 1.0f);
  nan[5] = std::numeric_limits<float>::quiet_NaN();
  Quantize(256, nan.data(), q.data(), &s, sums.data());
  EXPECT_TRUE(std::isnan(s));
  std::vector<float> zeros(256, 0.0f);
  Quantize(256, zeros.data(), q.data(), &s, sums.data());
  EXPECT_EQ(s, 0.0f);
}

TEST(Ternary2, NamesAndSelection) {
  for (const Kernels& k : AllKernels()) {
    std::cmatch m;
    ASSERT_TRUE(testing::MatchName(k.name, "lutra_ternary2_gemm_r([0-9]+)t([0-9]+)__([a-z0-9]+)",
                                   k.isa, &m));
    EXPECT_EQ(std::stoul(m[1].str()), k.rows) << k.name;
    EXPECT_EQ(std::stoul(m[2].str()), k.tokens) << k.name;
    EXPECT_EQ(k.rows % kRows, 0u) << k.name;
  }
  EXPECT_EQ(AllKernels().back().isa, arch::kLevelScalar);
  EXPECT_EQ(Select(arch::kLevelScalar), &AllKernels().back());
}

// The exact Σ w·a per block in integers, the reference in double and the bound of the kernels'
// fp32 work: uniform, float(D) (|D| < 2^24 here) times d times s, two roundings; blocks, one
// fma per block and the final multiply, each within 2^-24 of the running magnitude.
void Reference(const Ternary& w, const Tokens& a, size_t r, size_t t, double* value,
               double* bound) {
  const double s = a.scale[t];
  double v = 0, magnitude = 0;
  for (size_t b = 0; b < Blocks(w.k); ++b) {
    int64_t dot = 0;
    for (size_t c = b * kBlock; c < (b + 1) * kBlock; ++c) {
      dot += int64_t(int(w.q[r * w.k + c]) - 1) * a.q[t * w.k + c];
    }
    v += w.Scale(r, b) * double(dot) * s;
    magnitude += std::fabs(w.Scale(r, b) * double(dot) * s);
  }
  *value = v;
  *bound = magnitude * double(w.blocks ? Blocks(w.k) + 2 : 3) * std::ldexp(1.0, -24) + 1e-30;
}

// Runs v on rows [0, m) in calls split at the given row boundaries (multiples of kRows) and
// checks every output against the reference, and every row outside a call's range against
// being written.
void Check(const Kernels& v, const Ternary& w, const Tokens& a, const std::vector<size_t>& splits,
           const std::string& where) {
  Packed p(w);
  const size_t y_stride = w.m + 3;
  GuardedBuffer<float> y(a.n * y_stride);
  for (size_t i = 0; i < y.size(); ++i) y[i] = -7.0f;
  size_t begin = 0;
  for (size_t i = 0; i <= splits.size(); ++i) {
    const size_t end = i < splits.size() ? splits[i] : w.m;
    v.gemm(p.view, a.view, begin, end, y.data(), y_stride);
    for (size_t t = 0; t < a.n; ++t) {
      for (size_t r = end; r < y_stride; ++r) {
        ASSERT_EQ(y[t * y_stride + r], -7.0f)
            << where << " call ending at " << end << " wrote row " << r;
      }
    }
    begin = end;
  }
  ASSERT_TRUE(y.Intact() && p.Intact() && a.q.Intact() && a.scale.Intact() && a.sums.Intact())
      << where;
  for (size_t t = 0; t < a.n; ++t) {
    for (size_t r = 0; r < w.m; ++r) {
      double want, bound;
      Reference(w, a, r, t, &want, &bound);
      ASSERT_NEAR(y[t * y_stride + r], want, bound) << where << " t=" << t << " row=" << r;
    }
  }
}

class Ternary2Variant : public ::testing::TestWithParam<Kernels> {};

TEST_P(Ternary2Variant, MatchesReference) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const bool small = lut_testing::SmallScale();
  // Rows: below, at and across groups of 4 and steps of 8, with partial last groups.
  const std::vector<size_t> ms =
      small ? std::vector<size_t>{1, 5, 13} : std::vector<size_t>{1, 3, 4, 5, 7, 8, 9, 12, 13, 17};
  // 9 and 17 blocks: more than the AArch64 NEON kernel's one-token slice of replicated
  // activations (8 blocks), so rows carry their sums across slices.
  const std::vector<size_t> blocks_per_row =
      small ? std::vector<size_t>{1, 3, 9} : std::vector<size_t>{1, 2, 3, 5, 9, 17};
  const std::vector<size_t> ns =
      small ? std::vector<size_t>{1, 2, 3} : std::vector<size_t>{1, 2, 3, 4, 5, 9};
  Rng rng(17);
  for (bool blocks : {false, true}) {
    for (size_t m : ms) {
      for (size_t nb : blocks_per_row) {
        const size_t k = nb * kBlock;
        const Ternary w = RandomTernary(rng, m, k, blocks);
        for (size_t n : ns) {
          Tokens a(k, n);
          FillRandom(rng, a);
          const std::string where = std::string(v.name) + (blocks ? " blocks" : " uniform") +
                                    " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                                    " n=" + std::to_string(n);
          Check(v, w, a, {}, where);
          // Odd row ranges: one group alone, then one or two groups, then the rest.
          if (m > 8) Check(v, w, a, {4, 8}, where + " split 4,8");
          if (m > 12) Check(v, w, a, {4, 12}, where + " split 4,12");
        }
      }
    }
  }
}

// ±127 everywhere, unit scales: every product, sum and scaling is an exact integer in fp32
// (|y| ≤ 127·k < 2^24), so the outputs must equal the reference exactly. Rows all −1, all +1,
// alternating and mixed, tokens all −127, all +127, alternating, and ±127 at random; the
// tokens together (the several-token path) and each alone (the one-token path). All +1 against
// all +127 is the largest sum any int16 chain of the NEON kernels holds. k: 9 blocks, past the
// one-token NEON slice of 8.
TEST_P(Ternary2Variant, ExtremeActivationsExact) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const size_t m = 13, n = 4, k = 9 * kBlock;
  Rng rng(9);
  for (bool blocks : {false, true}) {
    Ternary w(m, k, blocks);
    for (size_t r = 0; r < m; ++r) {
      for (size_t c = 0; c < k; ++c) {
        const uint8_t patterns[] = {0, 2, uint8_t(c % 2 ? 0 : 2), uint8_t(c * 7 % 3)};
        w.q[r * k + c] = patterns[r % 4];
      }
    }
    for (auto& d : w.d32) d = 1.0f;
    for (auto& d : w.d16) d = f16::FloatToHalf(1.0f);
    Tokens a(k, n);
    for (size_t c = 0; c < k; ++c) {
      a.q[0 * k + c] = -127;
      a.q[1 * k + c] = 127;
      a.q[2 * k + c] = c % 2 ? -127 : 127;
      a.q[3 * k + c] = rng.Int(0, 1) ? -127 : 127;
    }
    for (size_t t = 0; t < n; ++t) a.scale[t] = 1.0f;
    a.Finish();
    Packed p(w);
    std::vector<float> y(n * m, -7.0f);
    v.gemm(p.view, a.view, 0, 4, y.data(), m);
    v.gemm(p.view, a.view, 4, m, y.data(), m);
    // Each token alone: the same outputs.
    std::vector<float> y1(n * m, -7.0f);
    for (size_t t = 0; t < n; ++t) {
      const Activations one = {k, 1, a.q.data() + t * k, a.scale.data() + t,
                               a.sums.data() + t * SumCount(k)};
      v.gemm(p.view, one, 0, 8, y1.data() + t * m, m);
      v.gemm(p.view, one, 8, m, y1.data() + t * m, m);
    }
    for (size_t t = 0; t < n; ++t) {
      for (size_t r = 0; r < m; ++r) {
        double want, bound;
        Reference(w, a, r, t, &want, &bound);
        ASSERT_EQ(double(y[t * m + r]), want)
            << v.name << (blocks ? " blocks" : " uniform") << " t=" << t << " row=" << r;
        ASSERT_EQ(double(y1[t * m + r]), want)
            << v.name << (blocks ? " blocks" : " uniform") << " one token, t=" << t << " row=" << r;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, Ternary2Variant, ::testing::ValuesIn(AllKernels()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           return name.substr(name.rfind('_') + 1);
                         });

}  // namespace
}  // namespace lutra::kernels::ternary2
