// lutgemm: every registry variant × bit width (the variant's) × G ∈ {32, 64, 128} ×
// symmetric / asymmetric / ternary × shapes below, at, above and multiples of the 32-row tile
// and of the token block nr, K below/at/above the group and not a multiple of 4, N = 1, 2, 3,
// 8, 17, against ReferenceGemm (dequantize, multiply in double).
//
// Tolerance of the quantized (int8 table) mode, per output: each lookup Q·λ is within
// λ·(1/2 + 2032ε) of the exact table entry T (rounding to nearest; the 2032ε covers the fp32
// rounding of forming T and T/λ, see lutbuild_test). Row m, group g adds
// s/2·Σ_i 2^i·Σ_j (λQ − T), so |error| ≤ Σ_g |s_g|·(2^b − 1)/2·(G/4)·λ_g·(1/2 + 2032ε), plus
// |bias_g|·(G + 2)ε·Σ|x| for the fp32 group sum, plus (groups + 4)·4ε·Σ|terms| for the fp32
// combination. A second pass uses integer activations with one quad per block whose Σ|x| is
// 127, so λ = 1 and the tables are exact: then only the fp32 terms remain, and a single wrong
// nibble (an error ≥ |s|·2) fails.
//
// Exact mode (int16 split tables, int8 activations): with one scale per row (BitNet per-tensor)
// the output must equal (float)ΣI2·(scale·act_scale)·0.5 bit for bit; with a scale per group,
// each group's integer is exact and only the fp32 sum of groups rounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "kernels/lutbuild/lutbuild.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/lutgemm/reference.h"
#include "tests/kernels/lut_testing.h"
#include "tests/kernels/registry_testing.h"

namespace lutra::kernels::lutgemm {

// gtest prints parameters by name instead of bytes.
void PrintTo(const GemmKernel& k, std::ostream* os) {
  *os << k.name;
}

namespace {

using lut_testing::Codes;
using lut_testing::PackedMatrix;
using lut_testing::QMatrix;
using lut_testing::RandomMatrix;
using testing::GuardedBuffer;
using testing::Rng;

void CheckName(const GemmKernel& k) {
  std::cmatch m;
  ASSERT_TRUE(testing::MatchName(
      k.name, "lutra_lutgemm_w([1-4])(a8)?_([0-9]+)x([0-9]+)g([0-9]+)(rq)?__([a-z0-9]+)", k.isa,
      &m));
  EXPECT_EQ(std::stoul(m[1].str()), k.bits) << k.name;
  EXPECT_EQ(m[2].matched, k.exact) << k.name;
  EXPECT_EQ(std::stoul(m[3].str()), k.mr) << k.name;
  EXPECT_EQ(std::stoul(m[4].str()), k.nr) << k.name;
  EXPECT_EQ(std::stoul(m[5].str()), k.g) << k.name;
  EXPECT_EQ(k.mr, packw::kTileRows) << k.name;
  EXPECT_EQ(k.g, packw::kQuad) << k.name;
  EXPECT_EQ(k.exact, k.input == Input::kExactTables || k.input == Input::kInt8) << k.name;
  EXPECT_GE(k.min_n, 1u) << k.name;
  EXPECT_EQ(m[6].matched, k.order == packw::PlaneOrder::kRowQuads) << k.name;
}

// n tokens' tables built by the portable builders (tested on their own in lutbuild_test).
struct TokenTables {
  TokenTables(const packw::Shape& s, const float* x, size_t n, Input input)
      : lut_stride(input == Input::kInt8 || input == Input::kInt8Blocks ? packw::PaddedK(s)
                   : input == Input::kTables ? packw::PaddedK(s) / 4 * lutbuild::kTableBytes
                                             : packw::PaddedK(s) / 4 * lutbuild::kExactTableBytes),
        hi_offset(input == Input::kExactTables ? packw::PaddedK(s) / 4 * lutbuild::kTableBytes : 0),
        blocks(packw::Groups(s)),
        lut(n * lut_stride),
        scale(n * blocks),
        sum(n * blocks) {
    for (size_t t = 0; t < n; ++t) {
      const float* xt = x + t * s.k;
      if (input == Input::kInt8Blocks) {
        lutbuild::BuildInt8BlocksKernels().back().fn(
            s.k, s.group, xt, reinterpret_cast<int8_t*>(lut.data() + t * lut_stride),
            scale.data() + t * blocks, sum.data() + t * blocks);
      } else if (input != Input::kTables) {
        float amax = 0.0f;
        for (size_t i = 0; i < s.k; ++i) amax = std::max(amax, std::fabs(xt[i]));
        const float inv = amax > 0 ? 127.0f / amax : 0.0f, act = amax / 127.0f;
        if (input == Input::kInt8) {
          lutbuild::BuildInt8Kernels().back().fn(
              s.k, s.group, xt, inv, act, reinterpret_cast<int8_t*>(lut.data() + t * lut_stride),
              scale.data() + t * blocks, sum.data() + t * blocks);
        } else {
          lutbuild::BuildExactKernels().back().fn(
              s.k, s.group, xt, inv, act, lut.data() + t * lut_stride,
              lut.data() + t * lut_stride + hi_offset, scale.data() + t * blocks,
              sum.data() + t * blocks);
        }
      } else {
        lutbuild::BuildKernels().back().fn(s.k, s.group, xt, lut.data() + t * lut_stride,
                                           scale.data() + t * blocks, sum.data() + t * blocks);
      }
    }
  }
  Tables view() const {
    return {lut.data(), lut_stride, hi_offset, scale.data(), sum.data(), blocks};
  }
  size_t lut_stride, hi_offset, blocks;
  GuardedBuffer<uint8_t> lut;
  GuardedBuffer<float> scale, sum;
};

struct Check {
  const GemmKernel& k;
  std::string where;
};

// Runs the kernel over all tiles (in two calls when possible, to test tile ranges) and checks
// every output against the reference with the bound stated at the top of this file.
void RunAndCheck(const GemmKernel& k, const QMatrix& q, const std::vector<float>& x, size_t n,
                 bool exact_tables, const std::string& where) {
  const packw::Shape& s = q.shape;
  PackedMatrix p(q, k.order);
  TokenTables tt(s, x.data(), n, k.input);
  const size_t y_stride = s.m + 3;
  GuardedBuffer<float> y(n * y_stride);
  for (size_t i = 0; i < y.size(); ++i) y[i] = -7.0f;
  const size_t tiles = packw::Tiles(s), split = tiles / 2;
  if (split > 0) k.fn(p.weights(), tt.view(), n, 0, split, y.data(), y_stride);
  k.fn(p.weights(), tt.view(), n, split, tiles, y.data(), y_stride);
  ASSERT_TRUE(y.Intact() && tt.lut.Intact() && p.bits.Intact()) << where;
  for (size_t t = 0; t < n; ++t) {
    for (size_t r = s.m; r < y_stride; ++r) ASSERT_EQ(y[t * y_stride + r], -7.0f) << where;
  }
  const size_t groups = packw::Groups(s);
  const double two_b = double((1u << s.bits) - 1);
  if (k.exact) {
    std::vector<int64_t> i2(n * s.m * groups);
    std::vector<float> act(n);
    ReferenceExact(s, q.view(), n, x.data(), i2.data(), act.data());
    for (size_t t = 0; t < n; ++t) {
      for (size_t r = 0; r < s.m; ++r) {
        const float got = y[t * y_stride + r];
        if (q.uniform_scale) {
          int64_t total = 0;
          for (size_t g = 0; g < groups; ++g) total += i2[(t * s.m + r) * groups + g];
          const float want = float(total) * (q.scale[r * groups] * act[t]) * 0.5f;
          ASSERT_EQ(got, want) << where << " t=" << t << " row=" << r;
        } else {
          double want = 0.0, mag = 0.0;
          for (size_t g = 0; g < groups; ++g) {
            const double term = double(i2[(t * s.m + r) * groups + g]) *
                                double(q.scale[r * groups + g] * act[t]) * 0.5;
            want += term;
            mag += std::fabs(term);
          }
          ASSERT_NEAR(got, want, (groups + 2) * 2 * FLT_EPSILON * mag)
              << where << " t=" << t << " row=" << r;
        }
      }
    }
    return;
  }
  std::vector<double> ref(n * s.m);
  ReferenceGemm(s, q.view(), n, x.data(), ref.data());
  for (size_t t = 0; t < n; ++t) {
    for (size_t r = 0; r < s.m; ++r) {
      double table_err = 0.0, fp_err = 0.0, mag = 0.0;
      for (size_t g = 0; g < groups; ++g) {
        const double sc = std::fabs(q.scale[r * groups + g]);
        const double lambda = tt.scale[t * groups + g];
        const double z = s.asymmetric ? q.zero[r * groups + g] : two_b / 2;
        const double bias = sc * std::fabs(two_b / 2 - z);
        double abs_x = 0.0, sum_x = 0.0;
        for (size_t i = g * s.group; i < std::min(s.k, (g + 1) * s.group); ++i) {
          abs_x += std::fabs(x[t * s.k + i]);
          sum_x += x[t * s.k + i];
        }
        const double lookups = two_b / 2 * (s.group / 4) * lambda;
        if (k.input == Input::kInt8Blocks && !exact_tables) {
          // Each activation is within λ/2 (+ fp32 rounding of x·127/max) of λ·xq, λ = max|x|/127
          // of the block; the weight multiplies it: |s·(q − z)|·λ·(1/2 + 256ε) per element.
          double w_abs = 0.0;
          for (size_t i = g * s.group; i < std::min(s.k, (g + 1) * s.group); ++i) {
            w_abs += std::fabs(double(q.q[r * s.k + i]) - z);
          }
          table_err += sc * w_abs * lambda * (0.5 + 256 * FLT_EPSILON);
        } else if (k.input == Input::kTables && !exact_tables) {
          table_err += sc * lookups * (0.5 + 2032 * FLT_EPSILON);
        }
        fp_err += bias * (s.group + 2) * FLT_EPSILON * abs_x;
        // Int8 blocks: λ is max|x|/127, not max quad Σ|x|/127, so the products are up to 4× larger.
        mag += sc * lookups * 127.0 * (k.input == Input::kInt8Blocks ? 4 : 1) +
               bias * std::fabs(sum_x);
      }
      const double tol = table_err + fp_err + (groups + 4) * 4 * FLT_EPSILON * mag + 1e-30;
      ASSERT_NEAR(y[t * y_stride + r], ref[t * s.m + r], tol)
          << where << " t=" << t << " row=" << r;
    }
  }
}

std::vector<float> Activations(Rng& rng, const packw::Shape& s, size_t n, bool planted) {
  std::vector<float> x(n * s.k);
  for (size_t t = 0; t < n; ++t) {
    for (size_t i = 0; i < s.k; ++i) {
      float v = planted ? float(rng.Int(-8, 8)) : rng.Normal(0.0f, 1.0f);
      // Planted: the first quad of every block is (127, 0, 0, 0), so λ = 1 exactly.
      if (planted && i % s.group < 4) v = i % s.group == 0 ? 127.0f : 0.0f;
      x[t * s.k + i] = v;
    }
  }
  return x;
}

class GemmTest : public ::testing::TestWithParam<GemmKernel> {};

TEST_P(GemmTest, MatchesDoubleReference) {
  const GemmKernel& k = GetParam();
  CheckName(k);
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(31);
  const bool small = lut_testing::SmallScale();
  // 257 rows = 9 tiles, split 4 + 5 below: kernels that stream several tiles at once get a full
  // group of four, a partial last tile and a lone tile after the group.
  std::vector<size_t> ms = {1, 31, 32, 33, 64, 97, 257};
  std::vector<size_t> ns = {1, 2, 3, 8, 17, k.nr, 2 * k.nr + 1};
  // Dot-product kernels share one unpack by up to 32 tokens, in blocks of 8, 4 and 1: 45 tokens
  // take two unpacks and every block size.
  if (k.min_n > 1) ns.push_back(45);
  if (small) ms = {1, 33, 257};
  size_t case_index = 0;
  for (uint32_t group : {32u, 64u, 128u}) {
    std::vector<size_t> ks = {1, group - 4, group, group + 3, 3 * group + 20};
    if (small) ks = {group + 3, 2 * group};
    // symmetric, asymmetric, ternary, asymmetric with one zero point for the matrix (Q4_0
    // repacks); ternary alternates between zero-point arrays and the constant z = 1.
    for (int mode = 0; mode < 4; ++mode) {
      const bool ternary = mode == 2;
      if (ternary && k.bits != 2) continue;
      for (size_t m : ms) {
        for (size_t kk : ks) {
          for (bool planted : {false, true}) {
            for (bool uniform : {false, true}) {
              if (uniform && !k.exact && planted) continue;
              const size_t n = ns[case_index++ % ns.size()];
              const packw::Shape s{m, kk, k.bits, group, mode == 1 || mode == 3};
              const bool one_zero = mode == 3 || (ternary && case_index % 2 == 0);
              const QMatrix q = RandomMatrix(rng, s, ternary, uniform, Codes::kRandom, one_zero);
              const auto x = Activations(rng, s, n, planted);
              const std::string where =
                  std::string(k.name) + " M=" + std::to_string(m) + " K=" + std::to_string(kk) +
                  " N=" + std::to_string(n) + " G=" + std::to_string(group) +
                  " mode=" + std::to_string(mode) + (q.zero_point >= 0 ? " one-zero-point" : "") +
                  (planted ? " planted" : "") + (uniform ? " uniform" : "");
              RunAndCheck(k, q, x, n, planted, where);
              if (::testing::Test::HasFatalFailure()) return;
            }
          }
        }
      }
    }
  }
  // Every N on one shape with tails in M and K.
  for (size_t n : ns) {
    const packw::Shape s{45, 200, k.bits, 64, true};
    const QMatrix q = RandomMatrix(rng, s, false, false);
    RunAndCheck(k, q, Activations(rng, s, n, true), n, true,
                std::string(k.name) + " sweep N=" + std::to_string(n));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// Overflow: the largest possible lookups for the longest int16 runs. Codes all 2^b − 1 with
// all-positive activations make every lookup +127 (exact mode: +508); codes matching the sign
// of alternating activations do the same with mixed signs; codes 0 give the most negative ones;
// one huge outlier makes every other table entry tiny.
TEST_P(GemmTest, AdversarialActivationsDoNotOverflow) {
  const GemmKernel& k = GetParam();
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(32);
  const size_t m = 64, n = std::max<size_t>(2, k.nr), kk = lut_testing::SmallScale() ? 1024 : 4096;
  for (uint32_t group : {32u, 128u}) {
    for (int pattern = 0; pattern < 3; ++pattern) {
      for (Codes codes : {Codes::kMax, Codes::kZero, Codes::kRandom}) {
        // Zero points add (2^b − 1 − 2z)·S after the int16 runs are widened, so the runs' bound
        // is the same; asymmetric matrices check that the widened sum holds it too.
        const bool asym = (pattern + int(codes)) % 2 == 1;
        const packw::Shape s{m, kk, k.bits, group, asym};
        QMatrix q = RandomMatrix(rng, s, false, true, codes);
        std::vector<float> x(n * kk);
        for (size_t i = 0; i < x.size(); ++i) {
          const size_t col = i % kk;
          if (pattern == 0) x[i] = 3.0e4f;
          if (pattern == 1) x[i] = (col & 1) ? -3.0e4f : 3.0e4f;
          if (pattern == 2) x[i] = col == 777 ? 1.0e6f : rng.Uniform(-0.01f, 0.01f);
        }
        if (codes == Codes::kRandom && pattern == 1) {
          // Codes that match the signs: every lookup is the table's maximum.
          const uint8_t hi = uint8_t((1u << k.bits) - 1);
          for (size_t r = 0; r < m; ++r) {
            for (size_t c = 0; c < kk; ++c) q.q[r * kk + c] = (c & 1) ? 0 : hi;
          }
        }
        RunAndCheck(k, q, x, n, false,
                    std::string(k.name) + " adversarial pattern=" + std::to_string(pattern) +
                        (asym ? " asymmetric" : "") + " codes=" + std::to_string(int(codes)) +
                        " G=" + std::to_string(group));
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
}

LUTRA_INSTANTIATE_REGISTRY(GemmTest, GemmKernels());

TEST(GemmSelect, EveryBitWidthAndModeHasAVariant) {
  for (uint32_t bits = 1; bits <= 4; ++bits) {
    for (bool exact : {false, true}) {
      const GemmKernel* k = Select(0, bits, exact);
      ASSERT_NE(k, nullptr);
      for (size_t n : {1u, 8u, 128u}) {
        const GemmKernel* host = Select(testing::TestFeatures(), bits, exact, n);
        ASSERT_NE(host, nullptr);
        EXPECT_LE(host->min_n, n) << host->name;
      }
      EXPECT_EQ(k->bits, bits);
      EXPECT_EQ(k->exact, exact);
      EXPECT_EQ(k->isa, arch::kLevelScalar);
    }
  }
}

// A matrix in one plane order must find its variants in that order: canonical (mapped packed
// files) at every level, and every row-quad variant a many-token variant on its own level
// (LutMatrix reorders the bits once, for both).
TEST(GemmSelect, EveryPlaneOrderHasItsVariants) {
  for (uint32_t bits = 1; bits <= 4; ++bits) {
    for (bool exact : {false, true}) {
      for (size_t n : {1u, 8u, 128u}) {
        const GemmKernel* k =
            Select(testing::TestFeatures(), bits, exact, n, packw::PlaneOrder::kCanonical);
        ASSERT_NE(k, nullptr);
        EXPECT_EQ(k->order, packw::PlaneOrder::kCanonical) << k->name;
      }
    }
  }
  for (const GemmKernel& k : GemmKernels()) {
    if (k.order != packw::PlaneOrder::kRowQuads) continue;
    const GemmKernel* many = Select(k.isa, k.bits, k.exact, SIZE_MAX, k.order);
    ASSERT_NE(many, nullptr) << k.name;
    EXPECT_EQ(many->order, k.order) << k.name;
  }
}

}  // namespace
}  // namespace lutra::kernels::lutgemm
