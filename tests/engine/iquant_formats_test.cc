// The lattice i-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M) in the engine:
// blocks packed by the layout rules from chosen contents (tests/testing/iq_blocks.h, weights in
// double from the formats' definitions), then decoded by DequantizeRows (the embeddings' and
// lutra-convert's path: each weight llama.cpp's one fp32 rounding of its value), multiplied by
// the Linear PlanLinear chooses (the file's own blocks, kquant, nothing owned), checked for
// non-finite scales (IQ1_M's d spread over its scale words), and named in the kernel catalog.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "arch/detect.h"
#include "engine/src/dispatch/kernel_catalog.h"
#include "engine/src/dispatch/kernel_config.h"
#include "engine/src/formats/finite_check.h"
#include "engine/src/formats/iquant_formats.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/gguf/lutra_types.h"
#include "engine/src/linear/linear.h"
#include "tests/engine/int8_block_bound.h"
#include "tests/testing/iq_blocks.h"
#include "tests/testing/rng.h"

namespace lutra::engine::formats {
namespace {

namespace kq = kernels::kquant;
using gguf::TensorType;
using linear::DequantizeRows;
using linear::MakeLinearScratch;
using linear::PlanLinear;
using linear::PlanOptions;

struct Case {
  TensorType type;
  kq::Format format;
  const char* op;  // the catalog entry
};
const Case kCases[] = {
    {TensorType::IQ2_XXS, kq::Format::kIQ2XXS, "kquant.iq2xxs"},
    {TensorType::IQ2_XS, kq::Format::kIQ2XS, "kquant.iq2xs"},
    {TensorType::IQ2_S, kq::Format::kIQ2S, "kquant.iq2s"},
    {TensorType::IQ3_XXS, kq::Format::kIQ3XXS, "kquant.iq3xxs"},
    {TensorType::IQ3_S, kq::Format::kIQ3S, "kquant.iq3s"},
    {TensorType::IQ1_S, kq::Format::kIQ1S, "kquant.iq1s"},
    {TensorType::IQ1_M, kq::Format::kIQ1M, "kquant.iq1m"},
};

struct Encoded {
  std::vector<uint8_t> bytes;
  std::vector<double> weights;
  gguf::TensorInfo info;
};

Encoded Encode(const Case& c, size_t rows, size_t cols, testing::Rng& rng) {
  Encoded e;
  const size_t blocks = rows * cols / kq::kSuperBlock, bb = kq::BlockBytes(c.format);
  e.bytes.resize(blocks * bb);
  e.weights.resize(rows * cols);
  size_t next_idx = 0;
  int next_sign = 0;
  for (size_t b = 0; b < blocks; ++b) {
    const testing::iq::Spec sp = testing::iq::RandomSpec(c.format, rng, &next_idx, &next_sign);
    testing::iq::Pack(c.format, sp, e.bytes.data() + b * bb);
    testing::iq::Weights256(c.format, sp, e.weights.data() + b * kq::kSuperBlock);
  }
  e.info.name = "blk.0.ffn_down.weight";
  e.info.type = c.type;
  e.info.shape = {cols, rows};
  e.info.n_elements = rows * cols;
  e.info.n_bytes = e.bytes.size();
  e.info.data = e.bytes.data();
  return e;
}

TEST(IQuantFormats, TypeTableAndBlockSizes) {
  const uint32_t bytes[] = {66, 74, 82, 98, 110, 50, 56};
  for (size_t i = 0; i < std::size(kCases); ++i) {
    const BlockFormat f = FormatOf(kCases[i].type);
    EXPECT_EQ(f.weights, 256u) << kCases[i].op;
    EXPECT_EQ(f.bytes, bytes[i]) << kCases[i].op;
    const auto traits = gguf::type_traits(uint32_t(kCases[i].type));
    ASSERT_TRUE(traits.has_value());
    EXPECT_EQ(traits->block_bytes, bytes[i]) << traits->name;
    EXPECT_NE(std::string(kReadableTypes).find(std::string(traits->name)), std::string::npos)
        << traits->name;
  }
}

// Every weight is its double value rounded once to fp32, as llama.cpp's dequantizer gives it.
TEST(IQuantFormats, DequantizeRowsGivesTheDefinedWeights) {
  testing::Rng rng(41);
  for (const Case& c : kCases) {
    const size_t rows = 5, cols = 512;
    Encoded e = Encode(c, rows, cols, rng);
    std::vector<float> out(3 * cols);
    ASSERT_TRUE(DequantizeRows(e.info, 1, 3, out.data()).ok()) << c.op;
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i], float(e.weights[cols + i])) << c.op << " weight " << i;
    }
  }
}

// In place (kquant, nothing owned, the catalog's variant named), and one-hot activations (exact
// in the int8 activations) give back every weight; random ones match a double reference within
// the activations' rounding per 256 and fp32 rounding.
TEST(IQuantFormats, LinearRunsOnTheFileBlocks) {
  testing::Rng rng(42);
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();
  const arch::IsaSet features = arch::Process().features;
  PlanOptions options;
  options.kernels = &KernelConfig::For(features);
  for (const Case& c : kCases) {
    const size_t rows = 24, cols = 512;
    Encoded e = Encode(c, rows, cols, rng);
    auto linear = PlanLinear(e.info, options);
    ASSERT_TRUE(linear.ok()) << linear.error();
    const std::string describe = (*linear)->Describe();
    EXPECT_NE(describe.find("mapped, lutra_kquant"), std::string::npos) << describe;
    std::string selected;
    for (const KernelOp& k : KernelOps()) {
      if (std::strcmp(k.op, c.op) == 0) selected = k.selected(features);
    }
    EXPECT_EQ(selected, options.kernels->kquant(c.format).name) << c.op;
    EXPECT_NE(describe.find(selected), std::string::npos) << describe;
    EXPECT_EQ((*linear)->OwnedBytes(), 0u) << describe;
    EXPECT_EQ((*linear)->StreamedBytes(), e.bytes.size()) << describe;

    std::vector<float> x(cols * cols, 0.0f), y(cols * rows);
    for (size_t i = 0; i < cols; ++i) x[i * cols + i] = 1.0f;
    ASSERT_TRUE((*linear)->Forward(cols, x.data(), y.data(), pool, *scratch).ok());
    for (size_t i = 0; i < cols; ++i) {
      for (size_t r = 0; r < rows; ++r) {
        const double want = e.weights[r * cols + i];
        ASSERT_NEAR(y[i * rows + r], want, 1e-6 * std::fabs(want) + 1e-9)
            << describe << " row " << r << " col " << i;
      }
    }
    std::vector<float> wf(e.weights.begin(), e.weights.end());
    for (size_t n : {1u, 5u, 20u}) {  // 20: the many-token path
      std::vector<float> xs(n * cols), ys(n * rows);
      for (float& v : xs) v = rng.Normal(0.0f, 1.0f);
      ASSERT_TRUE((*linear)->Forward(n, xs.data(), ys.data(), pool, *scratch).ok());
      for (size_t t = 0; t < n; ++t) {
        for (size_t r = 0; r < rows; ++r) {
          double ref = 0, mag = 0;
          for (size_t i = 0; i < cols; ++i) {
            const double p = e.weights[r * cols + i] * xs[t * cols + i];
            ref += p, mag += std::fabs(p);
          }
          const double tol = 1e-5 * mag + 1e-6 +
                             testing::Int8BlockRoundingBound(wf.data() + r * cols,
                                                             xs.data() + t * cols, cols, 256);
          ASSERT_NEAR(ys[t * rows + r], ref, tol) << describe << " n " << n << " row " << r;
        }
      }
    }
  }
}

// A NaN or infinite d is refused with the block it is in (IQ1_M: its bits in the top nibbles
// of the scale words).
TEST(IQuantFormats, NonFiniteScaleIsNamed) {
  testing::Rng rng(43);
  for (const Case& c : kCases) {
    for (uint16_t bad : {uint16_t(0x7e00), uint16_t(0xfc00)}) {
      Encoded e = Encode(c, 2, 512, rng);
      EXPECT_FALSE(FindNonFinite(e.info).has_value()) << c.op;
      const size_t block = 3, bb = kq::BlockBytes(c.format);
      uint8_t* p = e.bytes.data() + block * bb;
      if (c.format == kq::Format::kIQ1M) {
        for (int i = 0; i < 4; ++i) {
          p[48 + 2 * i + 1] = uint8_t((p[48 + 2 * i + 1] & 0x0f) | ((bad >> (4 * i)) & 15) << 4);
        }
      } else {
        p[0] = uint8_t(bad & 255), p[1] = uint8_t(bad >> 8);
      }
      EXPECT_EQ(IQuantHalfBits(c.type, p), bad) << c.op;
      auto found = FindNonFinite(e.info);
      ASSERT_TRUE(found.has_value()) << c.op;
      EXPECT_NE(found->find("block 3"), std::string::npos) << *found;
      EXPECT_NE(found->find(bad == 0x7e00 ? "scale NaN" : "scale -Inf"), std::string::npos)
          << *found;
    }
  }
}

}  // namespace
}  // namespace lutra::engine::formats
