// Every vec variant in the registry against a double-precision reference, at every length
// from 0 to a few tiles of the widest variant plus large odd lengths, in guarded buffers.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/vec/vec.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::vec {
namespace {

using testing::GuardedBuffer;
using testing::Rng;

// Name grammar: lutra_vec_<op>_f32_u<unroll>[v]__<level> (testing::CheckUnrollName).

// Lengths 0..300 cover below/at/above/multiples of every tile up to 64 floats x 4 and RVV at
// VLEN 1024 with LMUL 1; the large odd ones exercise long main loops with tails.
std::vector<size_t> Lengths() {
  std::vector<size_t> n;
  for (size_t i = 0; i <= 300; ++i) n.push_back(i);
  for (size_t big : {1023u, 4096u, 4099u, 65537u}) n.push_back(big);
  return n;
}

// --- dot ---------------------------------------------------------------------------------
class DotTest : public ::testing::TestWithParam<Kernel<DotFn>> {};

TEST_P(DotTest, MatchesDoubleReference) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_vec_dot_f32");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(1);
  for (size_t n : Lengths()) {
    GuardedBuffer<float> x(n), y(n);
    rng.Fill(x.span(), -2.0f, 2.0f);
    rng.Fill(y.span(), -2.0f, 2.0f);
    double ref = 0.0, mag = 0.0;
    for (size_t i = 0; i < n; ++i) {
      ref += double(x[i]) * y[i];
      mag += std::fabs(double(x[i]) * y[i]);
    }
    // Any summation order of n fp32 products is within n·ε·Σ|xy| of the exact sum.
    const double tol = double(n + 1) * FLT_EPSILON * mag + 1e-30;
    ASSERT_NEAR(k.fn(n, x.data(), y.data()), ref, tol) << k.name << " n=" << n;
  }
}

LUTRA_INSTANTIATE_REGISTRY(DotTest, DotKernels());

// --- axpy / scale ------------------------------------------------------------------------
// One rounding (FMA) or two (multiply then add): within 2 ulp of the larger term.
double TwoUlps(double a, double b) {
  return 2.0 * FLT_EPSILON * (std::fabs(a) + std::fabs(b));
}

class AxpyTest : public ::testing::TestWithParam<Kernel<AxpyFn>> {};

TEST_P(AxpyTest, MatchesDoubleReference) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_vec_axpy_f32");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(2);
  for (size_t n : Lengths()) {
    GuardedBuffer<float> x(n), y(n);
    rng.Fill(x.span(), -3.0f, 3.0f);
    rng.Fill(y.span(), -3.0f, 3.0f);
    const std::vector<float> y0(y.data(), y.data() + n);
    const float a = rng.Uniform(-2.0f, 2.0f);
    k.fn(n, a, x.data(), y.data());
    for (size_t i = 0; i < n; ++i) {
      const double ref = double(a) * x[i] + y0[i];
      ASSERT_NEAR(y[i], ref, TwoUlps(double(a) * x[i], y0[i]))
          << k.name << " n=" << n << " i=" << i;
    }
    ASSERT_TRUE(y.Intact()) << k.name << " wrote below y, n=" << n;
  }
}

LUTRA_INSTANTIATE_REGISTRY(AxpyTest, AxpyKernels());

class ScaleTest : public ::testing::TestWithParam<Kernel<ScaleFn>> {};

TEST_P(ScaleTest, MatchesDoubleReferenceAndWorksInPlace) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_vec_scale_f32");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(3);
  for (size_t n : Lengths()) {
    GuardedBuffer<float> x(n), y(n);
    rng.Fill(x.span(), -3.0f, 3.0f);
    const float a = rng.Uniform(-2.0f, 2.0f);
    k.fn(n, a, x.data(), y.data());
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(y[i], a * x[i]) << k.name << " n=" << n << " i=" << i;  // one rounding: exact
    }
    k.fn(n, a, x.data(), x.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(x[i], y[i]) << k.name << " in place, i=" << i;
    ASSERT_TRUE(y.Intact() && x.Intact()) << k.name << " wrote below a buffer, n=" << n;
  }
}

LUTRA_INSTANTIATE_REGISTRY(ScaleTest, ScaleKernels());

// --- add / mul ----------------------------------------------------------------------------
struct BinaryCase {
  Kernel<BinaryFn> kernel;
  const char* op;
};

class BinaryTest : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(BinaryTest, MatchesReferenceExactlyAndWorksInPlace) {
  const auto& [k, op] = GetParam();
  testing::CheckUnrollName(k, std::string("lutra_vec_") + op + "_f32");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  const bool is_add = std::string(op) == "add";
  Rng rng(4);
  for (size_t n : Lengths()) {
    GuardedBuffer<float> a(n), b(n), y(n);
    rng.Fill(a.span(), -3.0f, 3.0f);
    rng.Fill(b.span(), -3.0f, 3.0f);
    k.fn(n, a.data(), b.data(), y.data());
    for (size_t i = 0; i < n; ++i) {
      const float ref = is_add ? a[i] + b[i] : a[i] * b[i];  // IEEE: one rounding, exact match
      ASSERT_EQ(y[i], ref) << k.name << " n=" << n << " i=" << i;
    }
    k.fn(n, a.data(), b.data(), a.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(a[i], y[i]) << k.name << " in place, i=" << i;
    ASSERT_TRUE(y.Intact() && a.Intact()) << k.name << " wrote below a buffer, n=" << n;
  }
}

std::vector<BinaryCase> BinaryCases() {
  std::vector<BinaryCase> cases;
  for (const auto& k : AddKernels()) cases.push_back({k, "add"});
  for (const auto& k : MulKernels()) cases.push_back({k, "mul"});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Registry, BinaryTest, ::testing::ValuesIn(BinaryCases()),
                         [](const auto& info) { return std::string(info.param.kernel.name); });

// --- silu -------------------------------------------------------------------------------
class SiluTest : public ::testing::TestWithParam<Kernel<UnaryFn>> {};

TEST_P(SiluTest, MatchesDoubleReferenceIncludingExtremes) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_vec_silu_f32");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(5);
  // SIMD variants use a polynomial exp and a (possibly refined) reciprocal: allow 8 ulp
  // relative to |x| plus a tiny absolute term near the zero of x·σ(x).
  auto check = [&](size_t n, const float* x, const float* y, const char* what) {
    for (size_t i = 0; i < n; ++i) {
      const double ref = double(x[i]) / (1.0 + std::exp(-double(x[i])));
      const double tol = 8.0 * FLT_EPSILON * std::fabs(ref) + 1e-37;
      ASSERT_NEAR(y[i], ref, tol) << k.name << " " << what << " x=" << x[i];
    }
  };
  for (size_t n : Lengths()) {
    GuardedBuffer<float> x(n), y(n);
    rng.Fill(x.span(), -12.0f, 12.0f);
    k.fn(n, x.data(), y.data());
    check(n, x.data(), y.data(), "random");
    ASSERT_TRUE(y.Intact()) << k.name;
  }
  const std::vector<float> extremes = {0.0f,  -0.0f,  1e-30f,  -1e-30f,  20.0f,  -20.0f,
                                       80.0f, -80.0f, 88.0f,   -88.0f,   100.0f, -100.0f,
                                       1e30f, -1e30f, FLT_MIN, -FLT_MIN, 0.5f,   -0.5f};
  GuardedBuffer<float> x(extremes.size()), y(extremes.size());
  std::copy(extremes.begin(), extremes.end(), x.data());
  k.fn(x.size(), x.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_FALSE(std::isnan(y[i])) << k.name << " x=" << x[i];
  }
  // Large negative inputs underflow to (signed) zero; large positive ones give x.
  check(x.size(), x.data(), y.data(), "extremes");
}

LUTRA_INSTANTIATE_REGISTRY(SiluTest, SiluKernels());

// --- gelu (tanh approximation) -------------------------------------------------------------
class GeluTest : public ::testing::TestWithParam<Kernel<UnaryFn>> {};

// The reference in double, as x·σ(z) (0.5·x·(1 + tanh u) cancels to 0 in double for x < −9).
double GeluRef(double x, double* z_out) {
  const double z = 2.0 * std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
  *z_out = z;
  return x / (1.0 + std::exp(-z));
}

TEST_P(GeluTest, MatchesDoubleReferenceIncludingExtremes) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_vec_gelu_f32");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(6);
  // z = x·(A + B·x²) is rounded three times and its constants once each (≤ 6 ulp of z); for
  // z < 0, σ(z) ≈ e^z turns that into |z|·6 ulp of the result, on top of the ≤ 8 ulp of the
  // polynomial exp and the division. Below z ≈ −87 the result is denormal or zero (ARMv7 NEON
  // flushes denormals): an absolute 16·FLT_MIN·max(1, |x|) covers it.
  auto check = [&](size_t n, const float* x, const float* y, const char* what) {
    for (size_t i = 0; i < n; ++i) {
      double z = 0;
      const double ref = GeluRef(x[i], &z);
      const double tol = FLT_EPSILON * std::fabs(ref) * (8.0 + 6.0 * std::fabs(z)) +
                         16.0 * FLT_MIN * std::max(1.0, std::fabs(double(x[i])));
      ASSERT_NEAR(y[i], ref, tol) << k.name << " " << what << " x=" << x[i];
    }
  };
  for (size_t n : Lengths()) {
    GuardedBuffer<float> x(n), y(n);
    rng.Fill(x.span(), -8.0f, 8.0f);
    k.fn(n, x.data(), y.data());
    check(n, x.data(), y.data(), "random");
    ASSERT_TRUE(y.Intact()) << k.name;
    k.fn(n, x.data(), x.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(x[i], y[i]) << k.name << " in place, i=" << i;
  }
  const std::vector<float> extremes = {0.0f,    -0.0f,    1e-30f, -1e-30f, 3.0f,    -3.0f,
                                       5.0f,    -5.0f,    10.0f,  -10.0f,  12.0f,   -12.0f,
                                       100.0f,  -100.0f,  1e20f,  -1e20f,  1e30f,   -1e30f,
                                       FLT_MIN, -FLT_MIN, 0.5f,   -0.5f,   FLT_MAX, -FLT_MAX};
  GuardedBuffer<float> x(extremes.size()), y(extremes.size());
  std::copy(extremes.begin(), extremes.end(), x.data());
  k.fn(x.size(), x.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_FALSE(std::isnan(y[i])) << k.name << " x=" << x[i];
  }
  // Large negative inputs underflow to (signed) zero; large positive ones give x.
  check(x.size(), x.data(), y.data(), "extremes");
}

LUTRA_INSTANTIATE_REGISTRY(GeluTest, GeluKernels());

// --- softcap ------------------------------------------------------------------------------
class SoftcapTest : public ::testing::TestWithParam<Kernel<SoftcapFn>> {};

TEST_P(SoftcapTest, MatchesDoubleReferenceIncludingExtremes) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_vec_softcap_f32");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(7);
  // t = (scale/cap)·x is rounded twice (tanh's relative condition number is at most 1), the
  // series or the exp form of tanh is within ~4 ulp, the product with cap one more rounding:
  // 10 ulp of the result, plus an absolute term for the denormal range.
  auto check = [&](size_t n, float scale, float cap, const float* x, const float* y,
                   const char* what) {
    for (size_t i = 0; i < n; ++i) {
      const double ref = double(cap) * std::tanh(double(scale) * x[i] / double(cap));
      const double tol = 10.0 * FLT_EPSILON * std::fabs(ref) + 1e-37;
      ASSERT_NEAR(y[i], ref, tol) << k.name << " " << what << " x=" << x[i] << " scale=" << scale
                                  << " cap=" << cap;
    }
  };
  const float caps[] = {50.0f, 30.0f, 1.0f, 0.125f};
  for (size_t n : Lengths()) {
    const float cap = caps[n % 4];
    const float scale = n % 3 == 0 ? 1.0f : rng.Uniform(0.05f, 2.0f);
    GuardedBuffer<float> x(n), y(n);
    rng.Fill(x.span(), -3.0f * cap, 3.0f * cap);
    if (n > 8) {
      for (size_t i = 0; i < n; i += 7) x[i] *= 1e-3f;  // the series range
    }
    k.fn(n, scale, cap, x.data(), y.data());
    check(n, scale, cap, x.data(), y.data(), "random");
    ASSERT_TRUE(y.Intact()) << k.name;
    k.fn(n, scale, cap, x.data(), x.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(x[i], y[i]) << k.name << " in place, i=" << i;
  }
  const std::vector<float> extremes = {0.0f,    -0.0f,    1e-30f,  -1e-30f,  12.4f,    -12.4f,
                                       12.6f,   -12.6f,   1e3f,    -1e3f,    1e30f,    -1e30f,
                                       FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, INFINITY, -INFINITY};
  GuardedBuffer<float> x(extremes.size()), y(extremes.size());
  std::copy(extremes.begin(), extremes.end(), x.data());
  k.fn(x.size(), 1.0f, 50.0f, x.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_FALSE(std::isnan(y[i])) << k.name << " x=" << x[i];
    ASSERT_LE(std::fabs(y[i]), 50.0f) << k.name << " x=" << x[i];
  }
  check(x.size(), 1.0f, 50.0f, x.data(), y.data(), "extremes");
}

LUTRA_INSTANTIATE_REGISTRY(SoftcapTest, SoftcapKernels());

}  // namespace
}  // namespace lutra::kernels::vec
