// The fp32 -> block encoders (engine/src/formats/tensor_encode.h) against their documented
// rounding: each encoded block is decoded (by the engine's decoders, themselves tested on
// byte-built blocks, and for Q4_0 / TQ2_0 also by the test's own decoders) and every weight
// must lie within the stated error of its input; the fp16/bf16 conversions are checked
// against round-to-nearest-even computed in double precision. I2_S (one scale per tensor, in
// a tail after the last block) is read back by a double-precision decoder written here from
// bitnet.cpp's published layout, whole tensors and tensors streamed row by row.
#include <gtest/gtest.h>

#include <algorithm>
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

// bitnet.cpp's I2_S, read from its published layout: weight i of a tensor of n is the 2-bit
// code at bits 7 − 2·((i % 128) / 32) .. 6 − 2·((i % 128) / 32) of byte 32·(i / 128) + i % 32,
// w = s·(code − 1); s is the fp32 at byte n / 4, the first of a 32-byte tail.
std::vector<double> DecodeI2S(const std::vector<uint8_t>& bytes, size_t n, double* scale) {
  float s;
  std::memcpy(&s, bytes.data() + n / 4, 4);
  *scale = s;
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) {
    const unsigned shift = 6 - 2 * unsigned((i % 128) / 32);
    const int code = (bytes[32 * (i / 128) + i % 32] >> shift) & 3;
    w[i] = double(s) * double(code - 1);
  }
  return w;
}

// rows × cols weights in s·{−1, 0, +1}, as a ternary-trained (BitNet b1.58) matrix holds,
// with both signs present so that the tensor's amax is s.
std::vector<float> TernaryMatrix(Rng& rng, size_t rows, size_t cols, float s) {
  std::vector<float> w(rows * cols);
  for (float& v : w) v = s * float(rng.Int(-1, 1));
  w[1] = s, w[2] = -s;
  return w;
}

TEST(TensorEncode, I2SWholeTensorDecodesToItsTernaryWeights) {
  Rng rng(6);
  const size_t rows = 3, cols = 384, n = rows * cols;
  const float s = 0.0371f;
  const std::vector<float> w = TernaryMatrix(rng, rows, cols, s);
  ASSERT_EQ(EncodedBytes(TensorType::I2_S, n), n / 4 + 32);
  std::vector<uint8_t> q(EncodedBytes(TensorType::I2_S, n), 0xee);
  ASSERT_TRUE(EncodeWeights(TensorType::I2_S, w.data(), n, q.data()));
  double scale = 0;
  const std::vector<double> got = DecodeI2S(q, n, &scale);
  EXPECT_EQ(scale, double(s));
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], double(w[i])) << "weight " << i;
  for (size_t i = n / 4 + 4; i < q.size(); ++i) EXPECT_EQ(q[i], 0) << "tail byte " << i;
  // The engine's decoder reads the same weights.
  std::vector<float> engine_got(n);
  engine::formats::DecodeBlocks(TensorType::I2_S, q.data(), n / 128, engine_got.data());
  EXPECT_EQ(engine_got, w);
}

// Streaming: rows coded against a scale chosen before the first row, then the tail, give the
// bytes of the whole-tensor encoding when that scale is the tensor's amax.
TEST(TensorEncode, I2SStreamedRowsMatchTheWholeTensor) {
  Rng rng(7);
  const size_t rows = 5, cols = 256, n = rows * cols;
  const float s = 0.52f;
  const std::vector<float> w = TernaryMatrix(rng, rows, cols, s);
  std::vector<uint8_t> whole(EncodedBytes(TensorType::I2_S, n));
  ASSERT_TRUE(EncodeWeights(TensorType::I2_S, w.data(), n, whole.data()));
  std::vector<uint8_t> streamed(whole.size(), 0xee);
  for (size_t r = 0; r < rows; ++r) {
    ASSERT_TRUE(engine::formats::EncodeI2SBlocks(w.data() + r * cols, cols, s,
                                                 streamed.data() + r * cols / 4));
  }
  engine::formats::EncodeI2STail(s, streamed.data() + n / 4);
  EXPECT_EQ(streamed, whole);
}

// Weights that are not ternary round to the nearest of s·{−1, 0, +1} for the given scale.
TEST(TensorEncode, I2SRoundsToTheGivenScale) {
  Rng rng(8);
  const size_t n = 512;
  const float s = 0.25f;
  std::vector<float> x(n);
  rng.Fill(x, -2.0f, 2.0f);
  std::vector<uint8_t> q(n / 4 + 32);
  ASSERT_TRUE(engine::formats::EncodeI2SBlocks(x.data(), n, s, q.data()));
  engine::formats::EncodeI2STail(s, q.data() + n / 4);
  double scale = 0;
  const std::vector<double> got = DecodeI2S(q, n, &scale);
  ASSERT_EQ(scale, double(s));
  for (size_t i = 0; i < n; ++i) {
    const double r = double(x[i]) / s;
    if (std::fabs(std::fabs(r) - 0.5) < 1e-5) continue;  // a tie either way is fine
    const double want = s * std::clamp(std::round(r), -1.0, 1.0);
    ASSERT_EQ(got[i], want) << "weight " << i << " input " << x[i];
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
  EXPECT_EQ(EncodedBytes(TensorType::I2_S, 48), 0u);  // I2_S blocks hold 128 weights
  EXPECT_FALSE(EncodeWeights(TensorType::I2_S, x.data(), 48, out.data()));
  EXPECT_FALSE(engine::formats::EncodeI2SBlocks(x.data(), 48, 1.0f, out.data()));
  for (uint8_t b : out) ASSERT_EQ(b, 0xee);  // nothing written
}

}  // namespace
}  // namespace lutra::testing
