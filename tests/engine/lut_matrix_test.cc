// The LUT driver and quantizers: Multiply() with 1 and 2 threads, every table mode and bit
// width, against the double-precision reference on the quantized matrix; quantizer error
// bounds; errors for bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "engine/src/linear/lut_matrix.h"
#include "engine/src/quantize/round_to_nearest.h"
#include "kernels/lutgemm/reference.h"
#include "tests/testing/rng.h"
#include "tests/testing/status_testing.h"
#include "tests/testing/variant_log.h"

namespace lutra::engine::linear {

using quantize::QuantizedMatrix;
using quantize::QuantizeRtn;
using quantize::QuantizeTernary;
namespace {

using testing::Rng;

std::vector<float> RandomWeights(Rng& rng, size_t count) {
  std::vector<float> w(count);
  for (auto& v : w) v = rng.Normal(0.0f, 0.05f);
  return w;
}

TEST(LutQuantize, RtnErrorWithinHalfStep) {
  Rng rng(41);
  const size_t m = 9, k = 300;
  const auto w = RandomWeights(rng, m * k);
  for (uint32_t bits = 1; bits <= 4; ++bits) {
    for (bool asym : {false, true}) {
      QuantizedMatrix q;
      std::string error;
      ASSERT_TRUE(Ok(QuantizeRtn(w.data(), m, k, bits, 64, asym, &q), &error)) << error;
      const size_t groups = kernels::packw::Groups(q.shape);
      const float half = 0.5f * float((1 << bits) - 1);
      for (size_t r = 0; r < m; ++r) {
        for (size_t c = 0; c < k; ++c) {
          const size_t g = c / 64;
          const float s = q.scale[r * groups + g];
          const float z = asym ? float(q.zero[r * groups + g]) : half;
          const float deq = s * (float(q.q[r * k + c]) - z);
          // Round to nearest inside the range: half a step, plus fp32 rounding of w/s.
          ASSERT_LE(std::fabs(deq - w[r * k + c]), 0.5f * s * (1.0f + 1e-5f) + 1e-7f)
              << "b=" << bits << " asym=" << asym << " r=" << r << " c=" << c;
        }
      }
    }
  }
}

TEST(LutQuantize, TernaryAbsmean) {
  Rng rng(42);
  const size_t m = 5, k = 130;
  const auto w = RandomWeights(rng, m * k);
  for (bool per_tensor : {false, true}) {
    QuantizedMatrix q;
    std::string error;
    ASSERT_TRUE(Ok(QuantizeTernary(w.data(), m, k, 32, per_tensor, &q), &error)) << error;
    EXPECT_TRUE(q.ternary);
    EXPECT_EQ(q.uniform_scale, per_tensor);
    const size_t groups = kernels::packw::Groups(q.shape);
    double tensor_mean = 0.0;
    for (float v : w) tensor_mean += std::fabs(v);
    tensor_mean /= double(w.size());
    for (size_t r = 0; r < m; ++r) {
      for (size_t g = 0; g < groups; ++g) {
        double mean = 0.0;
        const size_t c1 = std::min(k, (g + 1) * 32);
        for (size_t c = g * 32; c < c1; ++c) mean += std::fabs(w[r * k + c]);
        mean /= double(c1 - g * 32);
        const double want = per_tensor ? tensor_mean : mean;
        ASSERT_NEAR(q.scale[r * groups + g], want, 1e-6 * want);
        ASSERT_EQ(q.zero[r * groups + g], 1);
        for (size_t c = g * 32; c < c1; ++c) {
          const float s = q.scale[r * groups + g];
          const int want_q = std::clamp(int(std::nearbyint(w[r * k + c] / s)), -1, 1) + 1;
          ASSERT_EQ(q.q[r * k + c], want_q);
        }
      }
    }
  }
}

TEST(LutQuantize, RejectsBadInput) {
  std::vector<float> w(64, 0.1f);
  QuantizedMatrix q;
  std::string error;
  EXPECT_FALSE(Ok(QuantizeRtn(w.data(), 1, 64, 5, 32, false, &q), &error));
  EXPECT_NE(error.find("bit width"), std::string::npos) << error;
  EXPECT_FALSE(Ok(QuantizeRtn(w.data(), 1, 64, 2, 16, false, &q), &error));
  EXPECT_NE(error.find("group"), std::string::npos) << error;
  w[3] = std::nanf("");
  EXPECT_FALSE(Ok(QuantizeRtn(w.data(), 1, 64, 2, 32, false, &q), &error));
  EXPECT_NE(error.find("not finite"), std::string::npos) << error;
}

// Tolerance of quantized-table mode (docs/lut-format.md §2): per group
// |s|·(2^b − 1)/2·(G/4)·λ·(1/2 + 2032ε) with λ = max quad Σ|x| / 127, plus fp32 terms.
double QuantizedBound(const QuantizedMatrix& q, const float* x, size_t row,
                      kernels::lutgemm::Input input) {
  const auto& s = q.shape;
  const size_t groups = kernels::packw::Groups(s);
  const double two_b = double((1 << s.bits) - 1);
  double bound = 0.0, mag = 0.0;
  for (size_t g = 0; g < groups; ++g) {
    double maxsum = 0.0, abs_x = 0.0;
    for (size_t j = 0; j < s.group / 4; ++j) {
      double a = 0.0;
      for (size_t u = 0; u < 4; ++u) {
        const size_t c = g * s.group + 4 * j + u;
        if (c < s.k) a += std::fabs(x[c]);
      }
      abs_x += a;
      maxsum = std::max(maxsum, a);
    }
    const double sc = std::fabs(q.scale[row * groups + g]);
    const double lookups = two_b / 2 * (s.group / 4) * maxsum / 127.0;
    if (input == kernels::lutgemm::Input::kInt8Blocks) {
      // Per-block int8 activations (dot-product prefill kernels): each activation within
      // λ/2 of λ·xq, λ = max|x|/127 of the block, times |s·(q − z)| ≤ |s|·(2^b − 1).
      double xmax = 0.0;
      for (size_t c = g * s.group; c < std::min(s.k, (g + 1) * s.group); ++c) {
        xmax = std::max(xmax, std::fabs(double(x[c])));
      }
      bound += sc * two_b * s.group * xmax / 127.0 * (0.5 + 256 * FLT_EPSILON);
    } else {
      bound += sc * lookups * (0.5 + 2032 * FLT_EPSILON);
    }
    bound += sc * two_b * (s.group + 2) * FLT_EPSILON * abs_x;
    mag += sc * lookups * 127.0 * 4 + sc * two_b * abs_x;
  }
  return bound + (groups + 4) * 4 * FLT_EPSILON * mag;
}

// Canonical packed arrays of a quantized matrix, as a packed file holds them.
struct PackedArrays {
  explicit PackedArrays(const QuantizedMatrix& q)
      : bits(kernels::packw::BitsBytes(q.shape)),
        scale(kernels::packw::ScaleCount(q.shape)),
        bias(kernels::packw::ScaleCount(q.shape)),
        zero(kernels::packw::ScaleCount(q.shape)) {
    kernels::packw::Select(0).pack->fn(q.shape, q.view(),
                                       {bits.data(), scale.data(), bias.data(), zero.data()});
  }
  kernels::packw::Packed view() const {
    return {bits.data(), scale.data(), bias.data(), zero.data()};
  }
  std::vector<uint8_t> bits;
  std::vector<float> scale, bias;
  std::vector<uint8_t> zero;
};

struct DriverCase {
  uint32_t bits;  // 5 = ternary
  Activations mode;
  bool per_tensor;
};

std::string CaseName(const DriverCase& c) {
  static const char* const kBits[] = {"", "w1", "w2", "w3", "w4", "ternary"};
  std::string name = kBits[c.bits];
  name.append(c.mode == Activations::kInt8Exact ? "_exact" : "_tables");
  if (c.per_tensor) name.append("_per_tensor");
  return name;
}

class LutMultiplyTest : public ::testing::TestWithParam<DriverCase> {};

TEST_P(LutMultiplyTest, MatchesReferenceWithOneAndTwoThreads) {
  const DriverCase c = GetParam();
  Rng rng(43);
  const arch::IsaSet host = testing::TestFeatures();
  for (arch::IsaSet features : {arch::kLevelScalar, host & arch::kLevelAVX2, host}) {
    for (size_t threads : {1u, 2u}) {
      ThreadPool pool(threads);
      for (size_t m : {33u, 100u}) {
        for (size_t k : {200u, 2600u}) {
          for (size_t n : {1u, 3u, 17u}) {
            const auto w = RandomWeights(rng, m * k);
            QuantizedMatrix q;
            std::string error;
            const bool ok = c.bits == 5
                                ? Ok(QuantizeTernary(w.data(), m, k, 64, c.per_tensor, &q), &error)
                                : Ok(QuantizeRtn(w.data(), m, k, c.bits, 128, true, &q), &error);
            ASSERT_TRUE(ok) << error;
            LutMatrix mat;
            ASSERT_TRUE(
                Ok(LutMatrix::Create(q, lutra::engine::KernelConfig::For(features), c.mode, &mat),
                   &error))
                << error;
            // Ternary rows with one scale, exact: the 1.67-bit layout wherever it is faster.
            if (c.bits == 5 && c.mode == Activations::kInt8Exact && c.per_tensor) {
              ASSERT_EQ(mat.ternary3() != nullptr, kernels::ternary3::Preferred(features));
            }
            // The same matrix as a view of canonical packed arrays (a mapped packed file),
            // which keeps the file's plane order where Create may reorder.
            PackedArrays packed(q);
            LutMatrix view;
            ASSERT_TRUE(
                Ok(LutMatrix::CreateView(q.shape, packed.view(), q.uniform_scale,
                                         lutra::engine::KernelConfig::For(features), c.mode, &view),
                   &error))
                << error;
            ASSERT_EQ(view.weights().order, kernels::packw::PlaneOrder::kCanonical);
            ASSERT_EQ(view.gemm(n).order, kernels::packw::PlaneOrder::kCanonical);
            if (mat.ternary3() == nullptr) {
              ASSERT_EQ(mat.gemm(n).order, mat.weights().order);
            }
            std::vector<float> x(n * k);
            for (auto& v : x) v = rng.Normal(0.0f, 1.0f);
            for (const LutMatrix* which : {&mat, &view}) {
              std::vector<float> y(n * m, -1.0f);
              LutScratch scratch;
              Multiply(*which, n, x.data(), y.data(), pool, scratch);
              const std::string where =
                  std::string(which->ternary3() != nullptr ? which->ternary3()->name
                                                           : which->gemm(n).name) +
                  " threads=" + std::to_string(threads) + " m=" + std::to_string(m) +
                  " k=" + std::to_string(k) + " n=" + std::to_string(n);
              if (c.mode == Activations::kInt8Exact) {
                const size_t groups = kernels::packw::Groups(q.shape);
                std::vector<int64_t> i2(n * m * groups);
                std::vector<float> act(n);
                kernels::lutgemm::ReferenceExact(q.shape, q.view(), n, x.data(), i2.data(),
                                                 act.data());
                for (size_t t = 0; t < n; ++t) {
                  for (size_t r = 0; r < m; ++r) {
                    double want = 0.0, mag = 0.0;
                    int64_t total = 0;
                    for (size_t g = 0; g < groups; ++g) {
                      const int64_t v = i2[(t * m + r) * groups + g];
                      total += v;
                      const double term =
                          double(v) * double(q.scale[r * groups + g] * act[t]) * 0.5;
                      want += term;
                      mag += std::fabs(term);
                    }
                    if (q.uniform_scale) {
                      // Lossless against W1.58A8: bit-identical to the exact integer, scaled once.
                      ASSERT_EQ(y[t * m + r], float(total) * (q.scale[r * groups] * act[t]) * 0.5f)
                          << where;
                    } else {
                      ASSERT_NEAR(y[t * m + r], want, (groups + 2) * 2 * FLT_EPSILON * mag)
                          << where;
                    }
                  }
                }
              } else {
                std::vector<double> ref(n * m);
                kernels::lutgemm::ReferenceGemm(q.shape, q.view(), n, x.data(), ref.data());
                for (size_t t = 0; t < n; ++t) {
                  for (size_t r = 0; r < m; ++r) {
                    ASSERT_NEAR(y[t * m + r], ref[t * m + r],
                                QuantizedBound(q, x.data() + t * k, r, which->gemm(n).input))
                        << where << " t=" << t << " r=" << r;
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

INSTANTIATE_TEST_SUITE_P(Modes, LutMultiplyTest,
                         ::testing::Values(DriverCase{1, Activations::kQuantizedTables, false},
                                           DriverCase{2, Activations::kQuantizedTables, false},
                                           DriverCase{3, Activations::kQuantizedTables, false},
                                           DriverCase{4, Activations::kQuantizedTables, false},
                                           DriverCase{5, Activations::kQuantizedTables, false},
                                           DriverCase{5, Activations::kInt8Exact, true},
                                           DriverCase{5, Activations::kInt8Exact, false},
                                           DriverCase{4, Activations::kInt8Exact, false}),
                         [](const auto& info) { return CaseName(info.param); });

TEST(LutMatrix, RejectsInconsistentInput) {
  QuantizedMatrix q;
  std::string error;
  std::vector<float> w(64 * 64, 0.01f);
  ASSERT_TRUE(Ok(QuantizeRtn(w.data(), 64, 64, 2, 32, false, &q), &error));
  q.q[5] = 7;
  LutMatrix mat;
  EXPECT_FALSE(Ok(LutMatrix::Create(q, lutra::engine::KernelConfig::For(0),
                                    Activations::kQuantizedTables, &mat),
                  &error));
  EXPECT_NE(error.find("does not fit"), std::string::npos) << error;
  q.q[5] = 1;
  q.scale.pop_back();
  EXPECT_FALSE(Ok(LutMatrix::Create(q, lutra::engine::KernelConfig::For(0),
                                    Activations::kQuantizedTables, &mat),
                  &error));
  EXPECT_NE(error.find("do not match"), std::string::npos) << error;
}

// A bit-plane matrix cloned into huge pages (as the model loads its weights) multiplies like
// its source, symmetric and asymmetric, after the arena itself is gone.
TEST(LutMatrix, CloneIntoArena) {
  Rng rng(4);
  const size_t m = 40, k = 200, n = 2;
  const auto w = RandomWeights(rng, m * k);
  std::vector<float> x(n * k);
  for (auto& v : x) v = rng.Normal(0.0f, 1.0f);
  for (bool asymmetric : {false, true}) {
    QuantizedMatrix q;
    std::string error;
    ASSERT_TRUE(Ok(QuantizeRtn(w.data(), m, k, 3, 32, asymmetric, &q), &error)) << error;
    LutMatrix mat, huge;
    ASSERT_TRUE(Ok(LutMatrix::Create(q, lutra::engine::KernelConfig::For(testing::TestFeatures()),
                                     Activations::kQuantizedTables, &mat),
                   &error))
        << error;
    {
      memory::HugePageArena arena;
      huge = mat.Clone(&arena);
    }
    EXPECT_EQ(huge.PackedBytes(), mat.PackedBytes());
    ThreadPool pool(1);
    LutScratch scratch;
    std::vector<float> y1(n * m), y2(n * m, -1.0f);
    Multiply(mat, n, x.data(), y1.data(), pool, scratch);
    Multiply(huge, n, x.data(), y2.data(), pool, scratch);
    EXPECT_EQ(y1, y2) << (asymmetric ? "asymmetric" : "symmetric");
  }
}

// The 1.67-bit layout through the driver with every variant the host runs (the registry test
// covers the kernels): a clone multiplies like its source, and inputs it cannot hold are
// refused with a message.
TEST(LutMatrix, Ternary3CloneAndRefusals) {
  Rng rng(3);
  const size_t m = 70, k = 300, n = 3;
  const auto w = RandomWeights(rng, m * k);
  QuantizedMatrix q;
  std::string error;
  ASSERT_TRUE(Ok(QuantizeTernary(w.data(), m, k, 64, true, &q), &error)) << error;
  std::vector<float> x(n * k);
  for (auto& v : x) v = rng.Normal(0.0f, 1.0f);
  const arch::IsaSet host = testing::TestFeatures();
  for (const auto& variant : kernels::ternary3::AllKernels()) {
    LutMatrix mat;
    if (!Ok(LutMatrix::CreateTernary3(q, lutra::engine::KernelConfig::For(host), &variant, &mat),
            &error)) {
      EXPECT_NE(error.find("lacks"), std::string::npos) << error;
      continue;
    }
    ASSERT_EQ(mat.ternary3(), &variant);
    EXPECT_GT(mat.StreamedBytes(), 0u);
    EXPECT_EQ(mat.StreamedBytes(), mat.PackedBytes());
    const LutMatrix copy = mat.Clone();
    LutMatrix huge;
    {
      memory::HugePageArena arena;  // gone before use: the copy owns its chunk
      huge = mat.Clone(&arena);
    }
    ThreadPool pool(1);
    LutScratch scratch;
    std::vector<float> y1(n * m), y2(n * m, -1.0f), y3(n * m, -1.0f);
    Multiply(mat, n, x.data(), y1.data(), pool, scratch);
    Multiply(copy, n, x.data(), y2.data(), pool, scratch);
    Multiply(huge, n, x.data(), y3.data(), pool, scratch);
    EXPECT_EQ(y1, y2) << variant.name;
    EXPECT_EQ(y1, y3) << variant.name << " cloned into huge pages";
  }
  QuantizedMatrix grouped;
  ASSERT_TRUE(Ok(QuantizeTernary(w.data(), m, k, 64, false, &grouped), &error)) << error;
  LutMatrix mat;
  EXPECT_FALSE(Ok(LutMatrix::CreateTernary3(grouped, lutra::engine::KernelConfig::For(host),
                                            &kernels::ternary3::AllKernels().back(), &mat),
                  &error));
  EXPECT_NE(error.find("one scale"), std::string::npos) << error;
}

}  // namespace
}  // namespace lutra::engine::linear
