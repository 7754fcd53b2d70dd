// Tensor formats and the kernel plan: blocks built byte by byte here from the documented ggml
// layouts (engine/src/formats/tensor_formats.h), decoded by DequantizeRows, and multiplied by
// the Linear PlanLinear chooses, against double-precision references computed from the
// weights this test encoded.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "arch/detect.h"
#include "engine/src/linear/linear.h"
#include "kernels/f16/convert.h"
#include "tests/engine/int8_block_bound.h"
#include "tests/testing/rng.h"

namespace lutra::engine::linear {

namespace {

using gguf::TensorType;
using testing::Rng;

void Put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(uint8_t(v & 255));
  b.push_back(uint8_t(v >> 8));
}

// A tensor of `rows` × `cols` in `type` with the weights it represents exactly.
struct Encoded {
  std::vector<uint8_t> bytes;
  std::vector<float> weights;
  std::vector<float> block_scale;  // Q4_0: d of each block
  gguf::TensorInfo info;
};

float Half(float v) {
  return kernels::f16::HalfToFloat(kernels::f16::FloatToHalf(v));
}

// trained_ternary (TQ types): as ternary-trained models store them, one scale per row in every
// block, except every third block, which is all-zero weights stored with scale 0 and random
// codes (any codes mean 0 there).
Encoded Encode(TensorType type, size_t rows, size_t cols, Rng& rng, bool trained_ternary = false) {
  Encoded e;
  std::vector<uint8_t>& b = e.bytes;
  std::vector<float>& w = e.weights;
  const size_t n = rows * cols;
  float row_d = 0.0f;
  switch (type) {
    case TensorType::F32:
      for (size_t i = 0; i < n; ++i) {
        const float v = rng.Normal(0.0f, 0.1f);
        w.push_back(v);
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        for (int s = 0; s < 32; s += 8) b.push_back(uint8_t(bits >> s));
      }
      break;
    case TensorType::F16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = kernels::f16::FloatToHalf(rng.Normal(0.0f, 0.1f));
        w.push_back(kernels::f16::HalfToFloat(h));
        Put16(b, h);
      }
      break;
    case TensorType::BF16:
      for (size_t i = 0; i < n; ++i) {
        const float v = rng.Normal(0.0f, 0.1f);
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        bits &= 0xFFFF0000u;  // truncated: exactly representable
        float t;
        std::memcpy(&t, &bits, 4);
        w.push_back(t);
        Put16(b, uint16_t(bits >> 16));
      }
      break;
    case TensorType::Q8_0:
      for (size_t blk = 0; blk < n / 32; ++blk) {
        const float d = Half(rng.Uniform(0.001f, 0.01f));
        Put16(b, kernels::f16::FloatToHalf(d));
        for (int j = 0; j < 32; ++j) {
          const int q = rng.Int(-127, 127);
          b.push_back(uint8_t(int8_t(q)));
          w.push_back(d * float(q));
        }
      }
      break;
    case TensorType::Q4_0:
      for (size_t blk = 0; blk < n / 32; ++blk) {
        const float d = Half(rng.Uniform(0.001f, 0.02f));
        Put16(b, kernels::f16::FloatToHalf(d));
        int q[32];
        for (int& v : q) v = rng.Int(0, 15);
        for (int j = 0; j < 16; ++j) b.push_back(uint8_t(q[j] | (q[j + 16] << 4)));
        e.block_scale.push_back(d);
        for (int j = 0; j < 32; ++j) w.push_back(d * float(q[j] - 8));
      }
      break;
    case TensorType::TQ2_0:
      for (size_t blk = 0, row_blocks = cols / 256; blk < n / 256; ++blk) {
        if (blk % row_blocks == 0) row_d = Half(rng.Uniform(0.01f, 0.05f));
        const float d = !trained_ternary ? Half(rng.Uniform(0.01f, 0.05f))
                        : blk % 3 == 1   ? 0.0f
                                         : row_d;
        int q[256];
        for (int& v : q) v = rng.Int(0, 2);
        // Weight 128h + 32l + i sits in bits 2l of byte 32h + i.
        for (int h = 0; h < 2; ++h) {
          for (int i = 0; i < 32; ++i) {
            uint8_t byte = 0;
            for (int l = 0; l < 4; ++l) byte |= uint8_t(q[128 * h + 32 * l + i] << (2 * l));
            b.push_back(byte);
          }
        }
        Put16(b, kernels::f16::FloatToHalf(d));
        for (int j = 0; j < 256; ++j) w.push_back(d * float(q[j] - 1));
      }
      break;
    case TensorType::TQ1_0:
      for (size_t blk = 0, row_blocks = cols / 256; blk < n / 256; ++blk) {
        if (blk % row_blocks == 0) row_d = Half(rng.Uniform(0.01f, 0.05f));
        const float d = !trained_ternary ? Half(rng.Uniform(0.01f, 0.05f))
                        : blk % 3 == 1   ? 0.0f
                                         : row_d;
        int q[256];
        for (int& v : q) v = rng.Int(0, 2);
        // Five trits per byte, the first most significant, stored as ceil(v·256/243); the
        // qh bytes hold four trits shifted up one place. Weight order per tensor_formats.h.
        auto pack = [](const int* t, int count) {
          int v = 0;
          for (int i = 0; i < count; ++i) v = v * 3 + t[i];
          for (int i = count; i < 5; ++i) v *= 3;
          return uint8_t((v * 256 + 242) / 243);
        };
        for (int m = 0; m < 32; ++m) {
          const int t[5] = {q[m], q[32 + m], q[64 + m], q[96 + m], q[128 + m]};
          b.push_back(pack(t, 5));
        }
        for (int m = 0; m < 16; ++m) {
          const int t[5] = {q[160 + m], q[176 + m], q[192 + m], q[208 + m], q[224 + m]};
          b.push_back(pack(t, 5));
        }
        for (int m = 0; m < 4; ++m) {
          const int t[4] = {q[240 + m], q[244 + m], q[248 + m], q[252 + m]};
          b.push_back(pack(t, 4));
        }
        Put16(b, kernels::f16::FloatToHalf(d));
        for (int j = 0; j < 256; ++j) w.push_back(d * float(q[j] - 1));
      }
      break;
    default:
      ADD_FAILURE() << "no encoder";
  }
  e.info.name = "blk.0.test.weight";
  e.info.type = type;
  e.info.shape = {cols, rows};
  e.info.n_elements = n;
  e.info.n_bytes = b.size();
  e.info.data = b.data();
  return e;
}

const TensorType kTypes[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16,
                             TensorType::Q8_0, TensorType::Q4_0, TensorType::TQ1_0,
                             TensorType::TQ2_0};

bool LowBit(TensorType t) {
  return t == TensorType::Q4_0 || t == TensorType::TQ1_0 || t == TensorType::TQ2_0;
}

TEST(ModelFormats, DequantizeRowsGivesTheEncodedWeights) {
  Rng rng(3);
  for (TensorType type : kTypes) {
    const size_t rows = 5, cols = 512;
    Encoded e = Encode(type, rows, cols, rng);
    std::vector<float> out(2 * cols);
    ASSERT_TRUE(DequantizeRows(e.info, 2, 2, out.data()).ok());
    for (size_t i = 0; i < 2 * cols; ++i) {
      ASSERT_EQ(out[i], e.weights[2 * cols + i]) << int(type) << " weight " << i;
    }
    Status bad = DequantizeRows(e.info, 4, 2, out.data());
    EXPECT_FALSE(bad.ok());
    EXPECT_NE(bad.error().find("out of range"), std::string::npos) << bad.error();
  }
}

// Y for identity activations is Wᵀ: every weight of the matrix must come out of the LUT (or
// dense) path. One-hot activations are exact in every activation-quantization mode (a single
// nonzero per quad or token quantizes to ±127 exactly), so only fp32 rounding remains (the
// smallest nonzero weight encoded here is 0.001; 1e-7 absolute covers the rounding of the
// group-sum terms of the asymmetric forms).
TEST(ModelLinear, IdentityActivationsReproduceEveryWeight) {
  Rng rng(5);
  const arch::IsaSet features = arch::Process().features;
  for (TensorType type : kTypes) {
    for (bool int8 : {true, false}) {
      const size_t rows = 40, cols = 256;
      Encoded e = Encode(type, rows, cols, rng);
      PlanOptions options;
      options.kernels = &lutra::engine::KernelConfig::For(features);
      options.ternary_int8_activations = int8;
      auto linear = PlanLinear(e.info, options);
      ASSERT_TRUE(linear.ok()) << linear.error();
      std::vector<float> x(cols * cols, 0.0f), y(cols * rows);
      for (size_t c = 0; c < cols; ++c) x[c * cols + c] = 1.0f;
      ThreadPool pool(2);
      auto scratch = MakeLinearScratch();
      ASSERT_TRUE((*linear)->Forward(cols, x.data(), y.data(), pool, *scratch).ok());
      for (size_t c = 0; c < cols; ++c) {
        for (size_t r = 0; r < rows; ++r) {
          const float want = e.weights[r * cols + c];
          ASSERT_NEAR(y[c * rows + r], want, 1e-5 * std::fabs(want) + 1e-7)
              << (*linear)->Describe() << " row " << r << " col " << c;
        }
      }
    }
  }
}

// Random activations, decode (n = 1) and a prefill batch, against a double reference.
// Tolerance: dense paths 1e-5 of Σ|w·x|; the LUT paths quantize activations, table mode
// per group (|s|·(2^b − 1)·(G/4)·λ, λ = largest quad Σ|x| / 127, from docs/lut-format.md §2
// with a factor 2 of slack), the ternary int8 mode per token (Σ|w|·max|x|/254) and Q8_0's
// int8 blocks per 32 activations (int8_block_bound.h).
TEST(ModelLinear, RandomActivationsMatchDoubleReference) {
  Rng rng(9);
  const arch::IsaSet features = arch::Process().features;
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();
  for (TensorType type : kTypes) {
    const size_t rows = 72, cols = 768;
    Encoded e = Encode(type, rows, cols, rng);
    PlanOptions options;
    options.kernels = &lutra::engine::KernelConfig::For(features);
    auto linear = PlanLinear(e.info, options);
    ASSERT_TRUE(linear.ok()) << linear.error();
    EXPECT_EQ((*linear)->rows(), rows);
    EXPECT_EQ((*linear)->cols(), cols);
    for (size_t n : {1u, 7u}) {
      std::vector<float> x(n * cols), y(n * rows);
      for (float& v : x) v = rng.Normal(0.0f, 1.0f);
      ASSERT_TRUE((*linear)->Forward(n, x.data(), y.data(), pool, *scratch).ok());
      for (size_t t = 0; t < n; ++t) {
        const float* xt = x.data() + t * cols;
        double xmax = 0.0;
        for (size_t c = 0; c < cols; ++c) xmax = std::max(xmax, std::fabs(double(xt[c])));
        for (size_t r = 0; r < rows; ++r) {
          double ref = 0.0, mag = 0.0, absw = 0.0;
          for (size_t c = 0; c < cols; ++c) {
            const double w = e.weights[r * cols + c];
            ref += w * xt[c], mag += std::fabs(w * xt[c]), absw += std::fabs(w);
          }
          double tol = 1e-5 * mag + 1e-6;
          if (type == TensorType::Q4_0) {
            for (size_t g = 0; g < cols / 32; ++g) {
              const double s = e.block_scale[(r * cols + g * 32) / 32];
              double lambda = 0.0;
              for (size_t j = 0; j < 8; ++j) {
                double a = 0.0;
                for (size_t u = 0; u < 4; ++u) a += std::fabs(xt[g * 32 + 4 * j + u]);
                lambda = std::max(lambda, a / 127.0);
              }
              tol += 2.0 * s * 15.0 * 8.0 * lambda;
            }
          } else if (LowBit(type)) {
            tol += absw * xmax / 254.0 * 1.01;
          } else if (type == TensorType::Q8_0) {
            tol += testing::Int8BlockRoundingBound(e.weights.data() + r * cols, xt, cols, 32);
          }
          ASSERT_NEAR(y[t * rows + r], ref, tol)
              << (*linear)->Describe() << " n " << n << " row " << r;
        }
      }
    }
  }
}

// Ternary-trained files (one scale per row, zero blocks with scale 0) take the exact kernels'
// one-integer-per-row form; the result must still be the encoded weights times x, exactly up to
// the int8 activation rounding (tolerance as above), for decode and a batch.
TEST(ModelLinear, TernaryTrainedScalesUseOneScalePerRow) {
  Rng rng(11);
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();
  for (TensorType type : {TensorType::TQ1_0, TensorType::TQ2_0}) {
    const size_t rows = 40, cols = 1024;
    Encoded e = Encode(type, rows, cols, rng, /*trained_ternary=*/true);
    PlanOptions options;
    options.kernels = &lutra::engine::KernelConfig::For(arch::Process().features);
    options.ternary_int8_activations = true;
    auto linear = PlanLinear(e.info, options);
    ASSERT_TRUE(linear.ok()) << linear.error();
    EXPECT_NE((*linear)->Describe().find("one scale per row"), std::string::npos)
        << (*linear)->Describe();
    for (size_t n : {1u, 5u}) {
      std::vector<float> x(n * cols), y(n * rows);
      for (float& v : x) v = rng.Normal(0.0f, 1.0f);
      ASSERT_TRUE((*linear)->Forward(n, x.data(), y.data(), pool, *scratch).ok());
      for (size_t t = 0; t < n; ++t) {
        const float* xt = x.data() + t * cols;
        double xmax = 0.0;
        for (size_t c = 0; c < cols; ++c) xmax = std::max(xmax, std::fabs(double(xt[c])));
        for (size_t r = 0; r < rows; ++r) {
          double ref = 0.0, mag = 0.0, absw = 0.0;
          for (size_t c = 0; c < cols; ++c) {
            const double w = e.weights[r * cols + c];
            ref += w * xt[c], mag += std::fabs(w * xt[c]), absw += std::fabs(w);
          }
          ASSERT_NEAR(y[t * rows + r], ref, 1e-5 * mag + 1e-6 + absw * xmax / 254.0 * 1.01)
              << (*linear)->Describe() << " n " << n << " row " << r;
        }
      }
    }
  }
  // Two different non-zero scales in a row: per-group scales, as before.
  Encoded mixed = Encode(TensorType::TQ2_0, 8, 1024, rng);
  PlanOptions options;
  options.kernels = &lutra::engine::KernelConfig::For(arch::Process().features);
  options.ternary_int8_activations = true;
  auto linear = PlanLinear(mixed.info, options);
  ASSERT_TRUE(linear.ok()) << linear.error();
  EXPECT_EQ((*linear)->Describe().find("one scale per row"), std::string::npos);
}

TEST(ModelLinear, ClearErrorsForUnsupportedOrInconsistentTensors) {
  Rng rng(1);
  PlanOptions options;
  options.kernels = &lutra::engine::KernelConfig::For(arch::Process().features);
  Encoded e = Encode(TensorType::Q4_0, 4, 64, rng);
  e.info.type = TensorType::Q8_K;  // llama.cpp's activation type, never in a model
  auto r = PlanLinear(e.info, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("blk.0.test.weight"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("not supported"), std::string::npos) << r.error();
  e.info.type = TensorType::Q4_0;
  e.info.n_bytes -= 18;
  r = PlanLinear(e.info, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("bytes"), std::string::npos) << r.error();
  Encoded t = Encode(TensorType::TQ2_0, 2, 256, rng);
  t.bytes[5] |= 3;  // code 3 is not a ternary value
  r = PlanLinear(t.info, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("code 3"), std::string::npos) << r.error();
  Encoded odd = Encode(TensorType::F32, 3, 64, rng);
  odd.info.shape = {64, 3, 1};
  EXPECT_FALSE(PlanLinear(odd.info, options).ok());
  EXPECT_TRUE(IsLoadableType(TensorType::TQ1_0));
  EXPECT_TRUE(IsLoadableType(TensorType::Q2_K));
  EXPECT_TRUE(IsLoadableType(TensorType::IQ2_XXS));
  EXPECT_FALSE(IsLoadableType(TensorType::Q8_K));
}

}  // namespace
}  // namespace lutra::engine::linear
