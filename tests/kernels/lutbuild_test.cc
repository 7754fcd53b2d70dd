// lutbuild: every table builder against tables computed in double from the activations.
// Quantized mode: λ = max quad Σ|x| / 127, every entry within λ/2 of the exact T (plus the
// fp32 rounding of forming T and T/λ, ≤ 8ε·Σ|x_quad|), exact mirror symmetry, exact padding.
// Exact mode: every int16 entry exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "kernels/lutbuild/lutbuild.h"
#include "tests/kernels/lut_testing.h"
#include "tests/kernels/registry_testing.h"

namespace lutra::kernels::lutbuild {
namespace {

using testing::GuardedBuffer;
using testing::Rng;

template <typename Fn>
void CheckName(const BuildKernel<Fn>& k, const char* mode) {
  std::cmatch m;
  ASSERT_TRUE(testing::MatchName(
      k.name, std::string("lutra_lutbuild_") + mode + "_g([0-9]+)__([a-z0-9]+)", k.isa, &m));
  EXPECT_EQ(std::stoul(m[1].str()), k.g) << k.name;
  EXPECT_EQ(k.g, 4u) << k.name;
}

std::vector<size_t> Lengths() {
  std::vector<size_t> n = {1, 2, 3, 4, 5, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 4099};
  if (lut_testing::SmallScale()) n.resize(12);
  return n;
}

double ExactT(const float* x, size_t n, size_t k0, unsigned t) {
  double v = 0.0;
  for (unsigned u = 0; u < 4; ++u) {
    const double xv = k0 + u < n ? double(x[k0 + u]) : 0.0;
    v += ((t >> u) & 1u) ? xv : -xv;
  }
  return v;
}

enum class Pattern { kRandom, kAllMax, kAlternating, kOutlier };

void Fill(Rng& rng, Pattern p, GuardedBuffer<float>& x) {
  for (size_t i = 0; i < x.size(); ++i) {
    switch (p) {
      case Pattern::kRandom:
        x[i] = rng.Normal(0.0f, 1.0f);
        break;
      case Pattern::kAllMax:
        x[i] = 3.0e4f;
        break;
      case Pattern::kAlternating:
        x[i] = (i & 1) ? -3.0e4f : 3.0e4f;
        break;
      case Pattern::kOutlier:
        x[i] = i == x.size() / 2 ? 1.0e6f : rng.Uniform(-0.01f, 0.01f);
        break;
    }
  }
}

class BuildTest : public ::testing::TestWithParam<BuildKernel<BuildFn>> {};

TEST_P(BuildTest, MatchesDoubleTables) {
  const auto& k = GetParam();
  CheckName(k, "f32");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(21);
  for (Pattern pat :
       {Pattern::kRandom, Pattern::kAllMax, Pattern::kAlternating, Pattern::kOutlier}) {
    for (size_t block : {32u, 64u, 128u}) {
      for (size_t n : Lengths()) {
        const size_t padded = packw::RoundUp(n, block), blocks = padded / block;
        GuardedBuffer<float> x(n), scale(blocks), sum(blocks);
        GuardedBuffer<uint8_t> tables(padded / 4 * kTableBytes);
        Fill(rng, pat, x);
        k.fn(n, block, x.data(), tables.data(), scale.data(), sum.data());
        ASSERT_TRUE(tables.Intact() && scale.Intact() && sum.Intact()) << k.name;
        for (size_t b = 0; b < blocks; ++b) {
          double maxsum = 0.0, s = 0.0, abs_sum = 0.0;
          for (size_t j = 0; j < block / 4; ++j) {
            double a = 0.0;
            for (size_t u = 0; u < 4; ++u) {
              const size_t i = b * block + 4 * j + u;
              if (i < n) {
                a += std::fabs(double(x[i]));
                s += x[i];
              }
            }
            abs_sum += a;
            maxsum = std::max(maxsum, a);
          }
          const std::string where = std::string(k.name) + " n=" + std::to_string(n) +
                                    " block=" + std::to_string(block) + " b=" + std::to_string(b);
          // λ: a sum of `block` fp32 magnitudes, then one division.
          ASSERT_NEAR(scale[b], maxsum / 127.0, (block + 2) * FLT_EPSILON * maxsum / 127.0)
              << where;
          ASSERT_NEAR(sum[b], s, (block + 2) * FLT_EPSILON * abs_sum) << where;
          const double lambda = scale[b];
          for (size_t j = 0; j < block / 4; ++j) {
            const uint8_t* t = tables.data() + (b * block / 4 + j) * kTableBytes;
            double quad_abs = 0.0;
            for (unsigned u = 0; u < 4; ++u) {
              const size_t i = b * block + 4 * j + u;
              quad_abs += i < n ? std::fabs(double(x[i])) : 0.0;
            }
            for (unsigned e = 0; e < 16; ++e) {
              ASSERT_EQ(int(t[e]) + int(t[15 - e]), 256) << where << " mirror, entry " << e;
              ASSERT_GE(t[e], 1) << where;
              const double got = (int(t[e]) - 128) * lambda;
              const double want = ExactT(x.data(), n, b * block + 4 * j, e);
              ASSERT_NEAR(got, want, 0.5 * lambda + 8 * FLT_EPSILON * (quad_abs + 127 * lambda))
                  << where << " quad " << j << " entry " << e;
            }
          }
        }
      }
    }
  }
}

LUTRA_INSTANTIATE_REGISTRY(BuildTest, BuildKernels());

class BuildExactTest : public ::testing::TestWithParam<BuildKernel<BuildExactFn>> {};

TEST_P(BuildExactTest, IntegerTablesAreExact) {
  const auto& k = GetParam();
  CheckName(k, "a8");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(22);
  for (Pattern pat :
       {Pattern::kRandom, Pattern::kAllMax, Pattern::kAlternating, Pattern::kOutlier}) {
    for (size_t block : {32u, 64u, 128u}) {
      for (size_t n : Lengths()) {
        const size_t padded = packw::RoundUp(n, block), blocks = padded / block;
        GuardedBuffer<float> x(n), scale(blocks), sum(blocks);
        GuardedBuffer<uint8_t> lo(padded / 4 * kTableBytes), hi(padded / 4 * kTableBytes);
        Fill(rng, pat, x);
        float amax = 0.0f;
        for (size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
        const float inv = amax > 0 ? 127.0f / amax : 0.0f, act = amax / 127.0f;
        k.fn(n, block, x.data(), inv, act, lo.data(), hi.data(), scale.data(), sum.data());
        ASSERT_TRUE(lo.Intact() && hi.Intact() && scale.Intact() && sum.Intact()) << k.name;
        std::vector<int> xq(padded, 0);
        for (size_t i = 0; i < n; ++i) {
          xq[i] = std::clamp(int(std::nearbyint(x[i] * inv)), -127, 127);
        }
        for (size_t b = 0; b < blocks; ++b) {
          int s = 0;
          for (size_t i = b * block; i < (b + 1) * block; ++i) s += xq[i];
          ASSERT_EQ(sum[b], float(s)) << k.name;
          ASSERT_EQ(scale[b], act) << k.name;
        }
        for (size_t j = 0; j < padded / 4; ++j) {
          const uint8_t* tl = lo.data() + j * kTableBytes;
          const uint8_t* th = hi.data() + j * kTableBytes;
          for (unsigned e = 0; e < 16; ++e) {
            int want = 0;
            for (unsigned u = 0; u < 4; ++u)
              want += ((e >> u) & 1u) ? xq[4 * j + u] : -xq[4 * j + u];
            const int got = (int(th[e]) - 128) * 256 + int(tl[e]);
            ASSERT_EQ(got, want) << k.name << " n=" << n << " quad " << j << " entry " << e;
          }
        }
      }
    }
  }
}

LUTRA_INSTANTIATE_REGISTRY(BuildExactTest, BuildExactKernels());

// The int8 builders' buffers for one length and block size (the outputs guarded).
struct Int8Case {
  Int8Case(size_t n, size_t block)
      : n(n),
        block(block),
        blocks(packw::RoundUp(n, block) / block),
        x(n),
        scale(blocks),
        sum(blocks),
        xq(blocks * block) {}
  size_t n, block, blocks;
  GuardedBuffer<float> x, scale, sum;
  GuardedBuffer<int8_t> xq;
};

float MaxAbs(const GuardedBuffer<float>& x, size_t begin, size_t end) {
  float amax = 0.0f;
  for (size_t i = begin; i < end; ++i) amax = std::max(amax, std::fabs(x[i]));
  return amax;
}

// For every pattern, block size and length: build(c, max|x|) runs the kernel on c, whose
// outputs must be xq = clamp(nearbyint(x·127/amax), ±127) (zero padded), scale = amax/127 and
// sum = Σ xq per block, with amax = max|x| of the whole vector, or of each block (per_block).
template <typename Build>
void CheckInt8(const char* name, uint64_t seed, bool per_block, Build&& build) {
  Rng rng(seed);
  for (Pattern pat :
       {Pattern::kRandom, Pattern::kAllMax, Pattern::kAlternating, Pattern::kOutlier}) {
    for (size_t block : {32u, 64u, 128u}) {
      for (size_t n : Lengths()) {
        Int8Case c(n, block);
        Fill(rng, pat, c.x);
        build(c, MaxAbs(c.x, 0, n));
        ASSERT_TRUE(c.xq.Intact() && c.scale.Intact() && c.sum.Intact()) << name;
        for (size_t b = 0; b < c.blocks; ++b) {
          const float amax =
              MaxAbs(c.x, per_block ? b * block : 0, per_block ? std::min(n, (b + 1) * block) : n);
          const float inv = amax > 0 ? 127.0f / amax : 0.0f;
          int s = 0;
          for (size_t i = b * block; i < (b + 1) * block; ++i) {
            const int want = i < n ? std::clamp(int(std::nearbyint(c.x[i] * inv)), -127, 127) : 0;
            ASSERT_EQ(c.xq[i], want) << name << " n=" << n << " i=" << i;
            s += want;
          }
          ASSERT_EQ(c.sum[b], float(s)) << name;
          ASSERT_EQ(c.scale[b], amax / 127.0f) << name;
        }
      }
    }
  }
}

class BuildInt8Test : public ::testing::TestWithParam<BuildKernel<BuildInt8Fn>> {};

TEST_P(BuildInt8Test, QuantizedActivationsAreExact) {
  const auto& k = GetParam();
  CheckName(k, "q8");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  CheckInt8(k.name, 23, /*per_block=*/false, [&](Int8Case& c, float amax) {
    const float inv = amax > 0 ? 127.0f / amax : 0.0f;
    k.fn(c.n, c.block, c.x.data(), inv, amax / 127.0f, c.xq.data(), c.scale.data(), c.sum.data());
  });
}

LUTRA_INSTANTIATE_REGISTRY(BuildInt8Test, BuildInt8Kernels());

class BuildInt8BlocksTest : public ::testing::TestWithParam<BuildKernel<BuildInt8BlocksFn>> {};

TEST_P(BuildInt8BlocksTest, PerBlockQuantizationIsExact) {
  const auto& k = GetParam();
  CheckName(k, "q8b");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  CheckInt8(k.name, 24, /*per_block=*/true, [&](Int8Case& c, float) {
    k.fn(c.n, c.block, c.x.data(), c.xq.data(), c.scale.data(), c.sum.data());
  });
}

LUTRA_INSTANTIATE_REGISTRY(BuildInt8BlocksTest, BuildInt8BlocksKernels());

}  // namespace
}  // namespace lutra::kernels::lutbuild
