// Every f16 variant against references built from the IEEE binary16 definition in double
// arithmetic: all 65536 halves for fp16→fp32, a dense sample of floats (plus every rounding
// midpoint and its neighbours) for fp32→fp16, and dot/axpy against double sums.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/f16/f16.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/float16_values.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::f16 {
namespace {

using testing::GuardedBuffer;
using testing::HalfValue;
using testing::Rng;

bool HalfIsNaN(uint16_t h) {
  return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

// Nearest half to x by search over the ordered positive halves; ties to the even pattern;
// |x| ≥ 65520 (max + half an ulp) overflows to inf.
uint16_t RefToHalf(float x) {
  const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  if (std::isnan(x)) return 0x7e00;  // only NaN-ness and sign are compared
  const double a = std::fabs(double(x));
  if (a >= 65520.0) return sign | 0x7c00;
  uint16_t lo = 0, hi = 0x7bff;  // largest pattern with value ≤ a
  while (lo < hi) {
    const uint16_t mid = uint16_t((lo + hi + 1) / 2);
    if (HalfValue(mid) <= a)
      lo = mid;
    else
      hi = uint16_t(mid - 1);
  }
  uint16_t r = lo;
  if (lo < 0x7bff) {
    const double dl = a - HalfValue(lo), du = HalfValue(uint16_t(lo + 1)) - a;
    if (du < dl || (du == dl && (lo & 1))) r = uint16_t(lo + 1);
  } else if (a - HalfValue(lo) >= 16.0) {
    r = 0x7c00;
  }
  return sign | r;
}

float FromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

std::vector<size_t> Lengths() {
  std::vector<size_t> n;
  for (size_t i = 0; i <= 200; ++i) n.push_back(i);
  for (size_t big : {1023u, 4099u, 65537u}) n.push_back(big);
  return n;
}

// --- fp16 → fp32: exhaustive, bit-exact ---------------------------------------------------
class F16ToF32Test : public ::testing::TestWithParam<Kernel<ToF32Fn>> {};

TEST_P(F16ToF32Test, AllHalvesExact) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_f16_tof32_f16");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  GuardedBuffer<uint16_t> x(65536);
  GuardedBuffer<float> y(65536);
  for (size_t i = 0; i < 65536; ++i) x[i] = uint16_t(i);
  k.fn(65536, x.data(), y.data());
  for (size_t i = 0; i < 65536; ++i) {
    const uint16_t h = uint16_t(i);
    if (HalfIsNaN(h)) {
      ASSERT_TRUE(std::isnan(y[i])) << k.name << " h=" << h;
      ASSERT_EQ(std::signbit(y[i]), (h & 0x8000) != 0) << k.name << " h=" << h;
    } else if ((h & 0x7fff) == 0x7c00) {
      ASSERT_EQ(y[i], (h & 0x8000) ? -INFINITY : INFINITY) << k.name;
    } else {
      ASSERT_EQ(double(y[i]), HalfValue(h)) << k.name << " h=" << h;
      ASSERT_EQ(std::signbit(y[i]), (h & 0x8000) != 0) << k.name << " h=" << h;
    }
  }
  // Every length, for tails and bounds.
  Rng rng(11);
  for (size_t n : Lengths()) {
    GuardedBuffer<uint16_t> a(n);
    GuardedBuffer<float> b(n);
    for (size_t i = 0; i < n; ++i) a[i] = uint16_t(rng.Int(0, 0x7bff) | (rng.Int(0, 1) << 15));
    k.fn(n, a.data(), b.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(double(b[i]), HalfValue(a[i])) << k.name << " n=" << n;
    ASSERT_TRUE(b.Intact()) << k.name << " n=" << n;
  }
}

LUTRA_INSTANTIATE_REGISTRY(F16ToF32Test, ToF32Kernels());

// --- fp32 → fp16: dense sample, bit-exact --------------------------------------------------
std::vector<float> DenseFloats() {
  std::vector<float> v;
  for (uint64_t b = 0; b <= 0xffffffffull; b += 4093) v.push_back(FromBits(uint32_t(b)));
  // Every midpoint between neighbouring finite halves (the ties) and its float neighbours.
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    const float mid = float((HalfValue(uint16_t(h)) + HalfValue(uint16_t(h + 1))) / 2);
    for (float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, INFINITY)}) {
      v.push_back(f);
      v.push_back(-f);
    }
  }
  for (float f : {65504.0f, 65519.99f, 65520.0f, 65536.0f, INFINITY, -INFINITY, NAN, -NAN, 0.0f,
                  -0.0f, FLT_MIN, FLT_TRUE_MIN, 0x1p-25f, 0x1p-24f, 0x1.8p-25f}) {
    v.push_back(f);
  }
  return v;
}

class F16FromF32Test : public ::testing::TestWithParam<Kernel<FromF32Fn>> {};

TEST_P(F16FromF32Test, DenseSampleExact) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_f16_fromf32_f16");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  const std::vector<float> in = DenseFloats();
  GuardedBuffer<float> x(in.size());
  GuardedBuffer<uint16_t> y(in.size());
  std::copy(in.begin(), in.end(), x.data());
  k.fn(in.size(), x.data(), y.data());
  for (size_t i = 0; i < in.size(); ++i) {
    const uint16_t ref = RefToHalf(in[i]);
    if (std::isnan(in[i])) {
      ASSERT_TRUE(HalfIsNaN(y[i])) << k.name;
      ASSERT_EQ(y[i] & 0x8000, std::signbit(in[i]) ? 0x8000 : 0) << k.name;
    } else {
      ASSERT_EQ(y[i], ref) << k.name << " x=" << in[i] << " (0x" << std::hex << [&] {
        uint32_t b;
        std::memcpy(&b, &in[i], 4);
        return b;
      }() << ")";
    }
  }
  Rng rng(12);
  for (size_t n : Lengths()) {
    GuardedBuffer<float> a(n);
    GuardedBuffer<uint16_t> b(n);
    rng.Fill(a.span(), -70000.0f, 70000.0f);
    k.fn(n, a.data(), b.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(b[i], RefToHalf(a[i])) << k.name << " n=" << n;
    ASSERT_TRUE(b.Intact()) << k.name << " n=" << n;
  }
}

LUTRA_INSTANTIATE_REGISTRY(F16FromF32Test, FromF32Kernels());

// --- dot / axpy ----------------------------------------------------------------------------
std::vector<uint16_t> RandomHalves(Rng& rng, size_t n) {
  std::vector<uint16_t> h(n);
  for (auto& v : h) v = RefToHalf(rng.Uniform(-2.0f, 2.0f));
  return h;
}

class F16DotTest : public ::testing::TestWithParam<Kernel<DotFn>> {};

TEST_P(F16DotTest, MatchesDoubleReference) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_f16_dot_f16");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(13);
  for (size_t n : Lengths()) {
    GuardedBuffer<uint16_t> x(n);
    GuardedBuffer<float> y(n);
    const auto h = RandomHalves(rng, n);
    std::copy(h.begin(), h.end(), x.data());
    rng.Fill(y.span(), -2.0f, 2.0f);
    double ref = 0.0, mag = 0.0;
    for (size_t i = 0; i < n; ++i) {
      ref += HalfValue(x[i]) * y[i];
      mag += std::fabs(HalfValue(x[i]) * y[i]);
    }
    // The half→float step is exact; any order of n fp32 products and sums is within
    // (n+1)·ε·Σ|xy| of the exact sum.
    const double tol = double(n + 1) * FLT_EPSILON * mag + 1e-30;
    ASSERT_NEAR(k.fn(n, x.data(), y.data()), ref, tol) << k.name << " n=" << n;
  }
}

LUTRA_INSTANTIATE_REGISTRY(F16DotTest, DotKernels());

class F16AxpyTest : public ::testing::TestWithParam<Kernel<AxpyFn>> {};

TEST_P(F16AxpyTest, MatchesDoubleReference) {
  const auto& k = GetParam();
  testing::CheckUnrollName(k, "lutra_f16_axpy_f16");
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(14);
  for (size_t n : Lengths()) {
    GuardedBuffer<uint16_t> x(n);
    GuardedBuffer<float> y(n);
    const auto h = RandomHalves(rng, n);
    std::copy(h.begin(), h.end(), x.data());
    rng.Fill(y.span(), -3.0f, 3.0f);
    const std::vector<float> y0(y.data(), y.data() + n);
    const float a = rng.Uniform(-2.0f, 2.0f);
    k.fn(n, a, x.data(), y.data());
    for (size_t i = 0; i < n; ++i) {
      const double p = double(a) * HalfValue(x[i]);
      // One rounding (FMA) or two (multiply, add): within 2 ulp of the larger term.
      ASSERT_NEAR(y[i], p + y0[i], 2.0 * FLT_EPSILON * (std::fabs(p) + std::fabs(y0[i])))
          << k.name << " n=" << n << " i=" << i;
    }
    ASSERT_TRUE(y.Intact()) << k.name << " n=" << n;
  }
}

LUTRA_INSTANTIATE_REGISTRY(F16AxpyTest, AxpyKernels());

}  // namespace
}  // namespace lutra::kernels::f16
