// bitnet.cpp's I2_S ternary matrices: bytes built here the way its quantizer packs them
// (weight j of a 128-weight block goes to byte j % 32 of the block, bits 7..6 for j < 32,
// then 5..4, 3..2, 1..0; code w + 1; the tensor's fp32 scale at byte n / 4 of a 32-byte
// tail) are read back weight by weight, run through the lookup path (exactly, with int8
// activations: one-hot activations give back every weight, random ones match a double
// reference within the int8 activation bound), and bad codes, scales and shapes are named.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "arch/detect.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/formats/finite_check.h"
#include "engine/src/linear/linear.h"
#include "tests/testing/rng.h"

namespace lutra::engine::formats {

using linear::DequantizeRows;
using linear::MakeLinearScratch;
using linear::PlanLinear;
using linear::PlanOptions;
namespace {

using gguf::TensorType;
using testing::Rng;

struct I2S {
  I2S(size_t rows, size_t cols, float scale, Rng& rng) : codes(rows * cols) {
    const size_t n = rows * cols;
    bytes.assign(n / 4 + 32, 0);
    for (size_t i = 0; i < n; ++i) {
      codes[i] = uint8_t(rng.Int(0, 2));
      const size_t block = i / 128, j = i % 128;
      bytes[block * 32 + j % 32] |= uint8_t(codes[i] << (6 - 2 * (j / 32)));
    }
    std::memcpy(bytes.data() + n / 4, &scale, 4);
    info.name = "blk.0.ffn_up.weight";
    info.type = TensorType::I2_S;
    info.shape = {cols, rows};
    info.n_elements = n;
    info.n_bytes = bytes.size();
    info.data = bytes.data();
    this->scale = scale;
  }
  float weight(size_t i) const { return scale * float(int(codes[i]) - 1); }
  std::vector<uint8_t> codes, bytes;
  float scale;
  gguf::TensorInfo info;
};

TEST(I2SFormat, RowsDecodeToTheirWeights) {
  Rng rng(31);
  const size_t rows = 5, cols = 384;
  I2S t(rows, cols, 0.0371f, rng);
  std::vector<float> out(2 * cols);
  ASSERT_TRUE(DequantizeRows(t.info, 2, 2, out.data()).ok());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], t.weight(2 * cols + i)) << i;
  EXPECT_FALSE(FindNonFinite(t.info).has_value());
}

// Int8 activations per token make the ternary path exact up to the activations' rounding:
// |error| ≤ Σ|w|·max|x|/254 (half a step of max|x|/127 per activation).
TEST(I2SFormat, LinearIsTheTernaryProduct) {
  Rng rng(32);
  const size_t rows = 70, cols = 640;
  I2S t(rows, cols, 0.52f, rng);
  PlanOptions options;
  options.kernels = &lutra::engine::KernelConfig::For(arch::Process().features);
  auto linear = PlanLinear(t.info, options);
  ASSERT_TRUE(linear.ok()) << linear.error();
  EXPECT_NE((*linear)->Describe().find("I2_S"), std::string::npos) << (*linear)->Describe();
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();

  std::vector<float> eye(cols * cols, 0.0f), y(cols * rows);
  for (size_t c = 0; c < cols; ++c) eye[c * cols + c] = 1.0f;
  ASSERT_TRUE((*linear)->Forward(cols, eye.data(), y.data(), pool, *scratch).ok());
  for (size_t c = 0; c < cols; ++c) {
    for (size_t r = 0; r < rows; ++r) {
      ASSERT_NEAR(y[c * rows + r], t.weight(r * cols + c), 1e-6) << "row " << r << " col " << c;
    }
  }

  const size_t n = 3;
  std::vector<float> x(n * cols), yr(n * rows);
  for (float& v : x) v = rng.Normal(0.0f, 1.0f);
  ASSERT_TRUE((*linear)->Forward(n, x.data(), yr.data(), pool, *scratch).ok());
  for (size_t k = 0; k < n; ++k) {
    double xmax = 0;
    // std::max, not std::fmax: GCC 12 for aarch64 crashes vectorizing an fmax reduction here.
    for (size_t c = 0; c < cols; ++c) xmax = std::max(xmax, std::fabs(double(x[k * cols + c])));
    for (size_t r = 0; r < rows; ++r) {
      double ref = 0, absw = 0;
      for (size_t c = 0; c < cols; ++c) {
        ref += double(t.weight(r * cols + c)) * x[k * cols + c];
        absw += std::fabs(t.weight(r * cols + c));
      }
      ASSERT_NEAR(yr[k * rows + r], ref, absw * xmax / 254.0 * 1.01 + 1e-5)
          << "token " << k << " row " << r;
    }
  }
}

TEST(I2SFormat, CodeThreeIsRefused) {
  Rng rng(33);
  I2S t(4, 128, 1.0f, rng);
  t.bytes[77] |= 0xC0;  // bits 7..6 of byte 13 of block 2: weight 2·128 + 13 gets code 3
  auto linear = PlanLinear(t.info, PlanOptions{});
  ASSERT_FALSE(linear.ok());
  EXPECT_NE(linear.error().find("invalid ternary code 3"), std::string::npos) << linear.error();
  EXPECT_NE(linear.error().find("blk.0.ffn_up.weight"), std::string::npos) << linear.error();
}

TEST(I2SFormat, NonFiniteScaleIsNamed) {
  Rng rng(34);
  I2S t(2, 256, std::numeric_limits<float>::quiet_NaN(), rng);
  const auto hit = FindNonFinite(t.info);
  ASSERT_TRUE(hit.has_value());
  EXPECT_NE(hit->find("tensor scale"), std::string::npos) << *hit;
  EXPECT_NE(hit->find("NaN"), std::string::npos) << *hit;
}

TEST(I2SFormat, SizeWithoutTheTailIsRefused) {
  Rng rng(35);
  I2S t(2, 256, 1.0f, rng);
  t.info.n_bytes -= 32;
  auto linear = PlanLinear(t.info, PlanOptions{});
  ASSERT_FALSE(linear.ok());
  EXPECT_NE(linear.error().find("the type needs " + std::to_string(2 * 256 / 4 + 32)),
            std::string::npos)
      << linear.error();
}

}  // namespace
}  // namespace lutra::engine::formats
