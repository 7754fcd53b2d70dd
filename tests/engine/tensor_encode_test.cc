// The fp32 -> block encoders (engine/src/formats/tensor_encode.h) against their documented
// rounding: each encoded block is decoded (by the engine's decoders, themselves tested on
// byte-built blocks, and for Q4_0 / TQ2_0 also by the test's own decoders) and every weight
// must lie within the stated error of its input; the fp16/bf16 conversions are checked
// against round-to-nearest-even computed in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/src/formats/tensor_encode.h"
#include "engine/src/formats/tensor_formats.h"
#include "tests/model/quant_blocks.h"
#include "tests/testing/rng.h"

namespace lutra::testing {
namespace {

using engine::formats::EncodedBytes;
using engine::formats::EncodeWeights;
using gguf::TensorType;

// Rows of 512 weights whose blocks exercise the corner cases: all zero, one huge weight, the
// largest magnitude negative, constant values, tiny values, and plain random data.
std::vector<float> Inputs(Rng& rng) {
  std::vector<float> x(512 * 8);
  rng.Fill(x, -1.0f, 1.0f);
  std::fill(x.begin(), x.begin() + 256, 0.0f);                             // zero block
  x[300] = 40.0f;                                                          // outlier
  x[700] = -3.0f;                                                          // negative extreme
  std::fill(x.begin() + 1024, x.begin() + 1280, 0.25f);                    // constant
  for (size_t i = 1280; i < 1536; ++i) x[i] = rng.Uniform(-1e-3f, 1e-3f);  // tiny
  for (size_t i = 2048; i < 2304; ++i) x[i] = rng.Normal(0.0f, 5.0f);
  return x;
}

std::vector<float> Decode(TensorType type, const std::vector<uint8_t>& bytes, size_t n) {
  const auto f = engine::formats::FormatOf(type);
  std::vector<float> out(n);
  engine::formats::DecodeBlocks(type, bytes.data(), n / f.weights, out.data());
  return out;
}

// |x - decoded| ≤ bound(block) for every weight, block by block of `block` weights.
template <typename Bound>
void ExpectWithin(const std::vector<float>& x, const std::vector<float>& got, size_t block,
                  Bound bound, const char* what) {
  for (size_t b = 0; b < x.size() / block; ++b) {
    float amax = 0;
    for (size_t i = 0; i < block; ++i) amax = std::max(amax, std::fabs(x[b * block + i]));
    for (size_t i = 0; i < block; ++i) {
      const size_t k = b * block + i;
      const double limit = bound(amax, std::fabs(x[k]));
      ASSERT_LE(std::fabs(double(x[k]) - got[k]), limit)
          << what << " weight " << k << " input " << x[k] << " block amax " << amax;
    }
  }
}

TEST(TensorEncode, Q8_0WithinHalfAStep) {
  Rng rng(1);
  const std::vector<float> x = Inputs(rng);
  std::vector<uint8_t> q(EncodedBytes(TensorType::Q8_0, x.size()));
  ASSERT_TRUE(EncodeWeights(TensorType::Q8_0, x.data(), x.size(), q.data()));
  // d = amax/127 stored as fp16 (relative error ≤ 2^-11): |x - q·d| ≤ d/2 + 127·|Δd|.
  ExpectWithin(
      x, Decode(TensorType::Q8_0, q, x.size()), 32,
      [](float amax, float) { return amax / 127.0 * (0.5 + 127.0 / 2048.0) + 1e-7; }, "Q8_0");
}

TEST(TensorEncode, Q4_0WithinHalfAStepAndExtremeExact) {
  Rng rng(2);
  const std::vector<float> x = Inputs(rng);
  std::vector<uint8_t> q(EncodedBytes(TensorType::Q4_0, x.size()));
  ASSERT_TRUE(EncodeWeights(TensorType::Q4_0, x.data(), x.size(), q.data()));
  const std::vector<float> got = Decode(TensorType::Q4_0, q, x.size());
  std::vector<float> independent(x.size());
  DecodeQ4_0(q.data(), x.size(), independent.data());
  EXPECT_EQ(got, independent);
  // |d| = amax/8 (fp16-rounded) and codes -8..7: error ≤ |d|/2, except that weights of the
  // sign opposite to the extreme beyond 7.5|d| clamp to 7|d| (error |x| - 7|d| < |d|). The
  // extreme itself maps to code 0 exactly, up to the fp16 rounding of d.
  ExpectWithin(
      x, got, 32,
      [](float amax, float ax) {
        const double d = amax / 8.0;
        return std::max(0.5 * d, ax - 7.0 * d) + 16.0 * d / 2048.0 + 1e-7;
      },
      "Q4_0");
  EXPECT_NEAR(got[300], 40.0f, 40.0f / 2048.0f);
  EXPECT_NEAR(got[700], -3.0f, 3.0f / 2048.0f);
}

TEST(TensorEncode, TernaryWithinHalfTheScale) {
  Rng rng(3);
  const std::vector<float> x = Inputs(rng);
  for (TensorType type : {TensorType::TQ1_0, TensorType::TQ2_0}) {
    std::vector<uint8_t> q(EncodedBytes(type, x.size()));
    ASSERT_TRUE(EncodeWeights(type, x.data(), x.size(), q.data()));
    const std::vector<float> got = Decode(type, q, x.size());
    if (type == TensorType::TQ2_0) {
      std::vector<float> independent(x.size());
      DecodeTQ2_0(q.data(), x.size(), independent.data());
      EXPECT_EQ(got, independent);
    }
    // Codes are round(x/amax) ∈ {-1, 0, 1}: error ≤ amax/2 plus the fp16 rounding of amax.
    ExpectWithin(
        x, got, 256, [](float amax, float) { return amax * (0.5 + 1.0 / 2048.0) + 1e-7; },
        type == TensorType::TQ1_0 ? "TQ1_0" : "TQ2_0");
    // Values that are already ternary multiples of the block scale survive exactly.
    std::vector<float> t(256);
    for (size_t i = 0; i < t.size(); ++i) t[i] = float(int(i % 3) - 1) * 0.5f;
    std::vector<uint8_t> tq(EncodedBytes(type, t.size()));
    ASSERT_TRUE(EncodeWeights(type, t.data(), t.size(), tq.data()));
    EXPECT_EQ(Decode(type, tq, t.size()), t);
  }
}

// Round to nearest, ties to even, computed from the neighbours in double precision.
double NearestEven(double x, double lower, double upper, bool lower_even) {
  const double dl = x - lower, du = upper - x;
  if (dl < du) return lower;
  if (du < dl) return upper;
  return lower_even ? lower : upper;
}

TEST(TensorEncode, HalfRoundsToNearestEven) {
  // Every finite half converts back to itself.
  for (uint32_t h = 0; h < 65536; ++h) {
    if ((h & 0x7c00) == 0x7c00) continue;
    const float f = HalfBitsToFloat(uint16_t(h));
    ASSERT_EQ(engine::formats::FloatToHalfBits(f), h) << "half " << h;
  }
  // Points between neighbouring halves (normal and subnormal, both signs) round to the nearer.
  Rng rng(4);
  for (int i = 0; i < 200000; ++i) {
    const uint16_t lo = uint16_t(rng.Int(0, 0x7bfe));
    const double a = HalfBitsToFloat(lo), b = HalfBitsToFloat(uint16_t(lo + 1));
    const float x = i % 7 == 0 ? float((a + b) / 2) : rng.Uniform(float(a), float(b));
    const double want = NearestEven(double(x), a, b, (lo & 1) == 0);
    const float sign = i % 2 ? -1.0f : 1.0f;
    ASSERT_EQ(double(HalfBitsToFloat(engine::formats::FloatToHalfBits(sign * x))), sign * want)
        << "x " << x;
  }
  EXPECT_EQ(engine::formats::FloatToHalfBits(65520.0f), 0x7c00);  // rounds past the largest
  EXPECT_EQ(engine::formats::FloatToHalfBits(-1e9f), 0xfc00);
  EXPECT_EQ(engine::formats::FloatToHalfBits(1e-9f), 0);
  const uint16_t nan = engine::formats::FloatToHalfBits(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x3ff, 0);
}

TEST(TensorEncode, Bf16RoundsToNearestEven) {
  Rng rng(5);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t hi = uint32_t(rng.Int(0, 0x7f7e));
    auto widen = [](uint32_t h) {
      const uint32_t bits = h << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      return double(f);
    };
    const double a = widen(hi), b = widen(hi + 1);
    const float x = i % 5 == 0 ? float((a + b) / 2) : rng.Uniform(float(a), float(b));
    const uint16_t got = engine::formats::FloatToBf16Bits(x);
    ASSERT_EQ(widen(got), NearestEven(double(x), a, b, (hi & 1) == 0)) << "x " << x;
  }
  const uint16_t nan = engine::formats::FloatToBf16Bits(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7f80, 0x7f80);
  EXPECT_NE(nan & 0x7f, 0);
}

TEST(TensorEncode, RefusesPartialBlocksAndUnknownTypes) {
  std::vector<float> x(48, 1.0f);
  std::vector<uint8_t> out(1024, 0xee);
  EXPECT_EQ(EncodedBytes(TensorType::Q4_0, 48), 0u);
  EXPECT_FALSE(EncodeWeights(TensorType::Q4_0, x.data(), 48, out.data()));
  EXPECT_FALSE(EncodeWeights(TensorType::TQ2_0, x.data(), 32, out.data()));
  EXPECT_FALSE(EncodeWeights(TensorType::Q4_1, x.data(), 32, out.data()));  // no encoder
  EXPECT_FALSE(EncodeWeights(TensorType::F32, x.data(), 0, out.data()));
  for (uint8_t b : out) ASSERT_EQ(b, 0xee);  // nothing written
}

}  // namespace
}  // namespace lutra::testing
