// KernelConfig: for every ISA level the host runs (down to scalar), the kernel each operator
// built with the level's config calls is the one the catalog (lutra-sysinfo,
// lutra_kernel_choice) reports for that level: what is printed is what runs.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "arch/detect.h"
#include "arch/isa.h"
#include "engine/src/attention/attention.h"
#include "engine/src/attention/kv_cache.h"
#include "engine/src/dispatch/kernel_catalog.h"
#include "engine/src/dispatch/kernel_config.h"
#include "engine/src/formats/kquant_formats.h"
#include "engine/src/formats/tensor_encode.h"
#include "engine/src/graph/executor.h"
#include "engine/src/graph/graph.h"
#include "engine/src/linear/linear.h"
#include "engine/src/linear/lut_matrix.h"
#include "engine/src/quantize/round_to_nearest.h"
#include "engine/src/sampler/sampler.h"
#include "kernels/f16/convert.h"
#include "tests/testing/rng.h"
#include "tests/testing/status_testing.h"

namespace lutra::engine {
namespace {

using linear::Activations;
using linear::LutMatrix;
using quantize::QuantizedMatrix;

// The name the catalog reports for `op` under `features`.
std::string Reported(const char* op, arch::IsaSet features) {
  for (const KernelOp& k : KernelOps()) {
    if (std::strcmp(k.op, op) == 0) return k.selected(features);
  }
  ADD_FAILURE() << "no catalog entry " << op;
  return "";
}

// The function of the registry entry named `name` (null when there is none).
template <typename Desc>
auto FnOf(std::span<const Desc> table, const std::string& name) -> decltype(table[0].fn) {
  for (const Desc& d : table) {
    if (name == d.name) return d.fn;
  }
  ADD_FAILURE() << "no variant " << name;
  return nullptr;
}

// Every level of kIsaLevels the host can run (the process's features capped at it), scalar
// included.
std::vector<std::pair<std::string, arch::IsaSet>> HostLevels() {
  std::vector<std::pair<std::string, arch::IsaSet>> out;
  const arch::IsaSet host = arch::Host().features;
  for (const arch::IsaLevel& level : arch::kIsaLevels) {
    arch::IsaSet capped = 0;
    std::string error;
    if (arch::ApplyIsaCap(host, level.name, &capped, &error)) out.push_back({level.name, capped});
  }
  out.push_back({"native", host});
  return out;
}

std::vector<float> Weights(size_t m, size_t k, uint64_t seed) {
  testing::Rng rng(seed);
  std::vector<float> w(m * k);
  rng.Fill(w, -1.0f, 1.0f);
  return w;
}

TEST(KernelConfig, ForReturnsOneConfigPerFeatureSet) {
  const arch::IsaSet f = arch::Process().features;
  EXPECT_EQ(&KernelConfig::For(f), &KernelConfig::For(f));
  EXPECT_EQ(KernelConfig::For(f).features(), f);
  EXPECT_EQ(KernelConfig::For(0).features(), 0u);
}

TEST(KernelConfig, SamplerAttentionAndKvCacheCallWhatTheCatalogReports) {
  for (const auto& [level, f] : HostLevels()) {
    SCOPED_TRACE(level);
    const KernelConfig& config = KernelConfig::For(f);
    sampler::Sampler s;
    std::string err;
    ASSERT_TRUE(Ok(sampler::Sampler::Create({}, 100, config, &s), &err)) << err;
    EXPECT_EQ(s.softmax(), FnOf(kernels::softmax2p::TwoPassKernels(), Reported("softmax2p", f)));

    attention::Attention a;
    ASSERT_TRUE(Ok(attention::Attention::Create({4, 2, 64, 16, 4}, config, 1, &a), &err)) << err;
    EXPECT_EQ(a.softmax(),
              FnOf(kernels::softmax2p::StoredThreePassKernels(), Reported("softmax3s", f)));
    EXPECT_EQ(a.attn().qk_f16->name, Reported("attn.qk.f16", f));
    EXPECT_EQ(a.attn().pv_f16->name, Reported("attn.pv.f16", f));
    EXPECT_EQ(a.attn().qk_f32->name, Reported("attn.qk.f32", f));
    EXPECT_EQ(a.attn().pv_f32->name, Reported("attn.pv.f32", f));
    EXPECT_EQ(a.attn().qk_bf16->name, Reported("attn.qk.bf16", f));
    EXPECT_EQ(a.attn().pv_bf16->name, Reported("attn.pv.bf16", f));
    EXPECT_EQ(a.attn().qk_f16->fn, FnOf(kernels::attn::QkF16Kernels(), Reported("attn.qk.f16", f)));

    attention::KvCache cache;
    ASSERT_TRUE(Ok(
        attention::KvCache::Create({1, 2, 16, 64, attention::KvType::kF16}, config, &cache), &err))
        << err;
    EXPECT_EQ(cache.to_f16(), FnOf(kernels::f16::FromF32Kernels(), Reported("f16.fromf32", f)));
  }
}

TEST(KernelConfig, ExecutorCallsWhatTheCatalogReports) {
  // The smallest graph with a norm and attention dims: embedding → rmsnorm → output.
  const size_t width = 64, vocab = 8;
  std::vector<float> table(width * vocab, 0.5f), norm(width, 1.0f);
  gguf::TensorInfo t;
  t.name = "token_embd.weight";
  t.type = gguf::TensorType::F32;
  t.shape = {width, vocab};
  t.n_elements = width * vocab;
  t.n_bytes = table.size() * sizeof(float);
  t.data = reinterpret_cast<const uint8_t*>(table.data());
  graph::Graph g;
  const int x = g.Embed(&t, width, 1.0f, "embed");
  const int y = g.RmsNorm(x, norm.data(), width, 1e-5f, "norm");
  g.SetOutput(g.SelectOutputs(y));
  g.SetAttention({1, 2, 2, 32});
  ASSERT_TRUE(g.status().ok()) << g.status().error();
  for (const auto& [level, f] : HostLevels()) {
    SCOPED_TRACE(level);
    graph::ExecutorOptions eo;
    eo.max_seq = 16;
    eo.max_tokens = 4;
    eo.vocab = vocab;
    eo.kernels = &KernelConfig::For(f);
    auto exec = graph::Executor::Create(g, eo, 1);
    ASSERT_TRUE(exec.ok()) << exec.error();
    const graph::Executor& e = **exec;
    EXPECT_EQ(e.rmsnorm(), FnOf(kernels::rmsnorm::RmsNormKernels(), Reported("rmsnorm", f)));
    EXPECT_EQ(e.vec().dot->name, Reported("vec.dot", f));
    EXPECT_EQ(e.vec().axpy->name, Reported("vec.axpy", f));
    EXPECT_EQ(e.vec().scale->name, Reported("vec.scale", f));
    EXPECT_EQ(e.vec().add->name, Reported("vec.add", f));
    EXPECT_EQ(e.vec().mul->name, Reported("vec.mul", f));
    EXPECT_EQ(e.vec().silu->name, Reported("vec.silu", f));
    EXPECT_EQ(e.vec().gelu->name, Reported("vec.gelu", f));
    EXPECT_EQ(e.vec().softcap->name, Reported("vec.softcap", f));
    EXPECT_EQ(e.vec().dot->fn, FnOf(kernels::vec::DotKernels(), Reported("vec.dot", f)));
    EXPECT_EQ(e.cache().to_f16(), FnOf(kernels::f16::FromF32Kernels(), Reported("f16.fromf32", f)));
    EXPECT_EQ(e.attention().attn().qk_f16->name, Reported("attn.qk.f16", f));
  }
}

// Packed canonical arrays of q, as a lutra-packed file holds them.
struct Packed {
  explicit Packed(const QuantizedMatrix& q, const KernelConfig& config)
      : bits(kernels::packw::BitsBytes(q.shape)),
        scale(kernels::packw::ScaleCount(q.shape)),
        bias(kernels::packw::ScaleCount(q.shape)),
        zero(kernels::packw::ScaleCount(q.shape)) {
    config.packw().pack->fn(q.shape, q.view(),
                            {bits.data(), scale.data(), bias.data(), zero.data()});
  }
  kernels::packw::Packed view() const {
    return {bits.data(), scale.data(), bias.data(), zero.data()};
  }
  std::vector<uint8_t> bits;
  std::vector<float> scale, bias;
  std::vector<uint8_t> zero;
};

TEST(KernelConfig, LutMatricesCallWhatTheCatalogReports) {
  const size_t m = 64, k = 256;
  const std::vector<float> w = Weights(m, k, 7);
  for (const auto& [level, f] : HostLevels()) {
    SCOPED_TRACE(level);
    const KernelConfig& config = KernelConfig::For(f);
    for (uint32_t bits = 1; bits <= 4; ++bits) {
      for (Activations mode : {Activations::kQuantizedTables, Activations::kInt8Exact}) {
        const bool exact = mode == Activations::kInt8Exact;
        const std::string op = "lutgemm.w" + std::to_string(bits) + (exact ? "a8" : "");
        SCOPED_TRACE(op);
        QuantizedMatrix q;
        std::string err;
        ASSERT_TRUE(Ok(quantize::QuantizeRtn(w.data(), m, k, bits, 64, true, &q), &err)) << err;
        LutMatrix mat;
        ASSERT_TRUE(Ok(LutMatrix::Create(q, config, mode, &mat), &err)) << err;
        EXPECT_EQ(mat.gemm(1).name, Reported(op.c_str(), f));
        EXPECT_EQ(mat.gemm(SIZE_MAX).name, Reported((op + ".prefill").c_str(), f));
        EXPECT_EQ(mat.gemm(1).fn, FnOf(kernels::lutgemm::GemmKernels(), Reported(op.c_str(), f)));
        // The same matrix mapped from a packed file.
        Packed packed(q, config);
        LutMatrix view;
        ASSERT_TRUE(
            Ok(LutMatrix::CreateView(q.shape, packed.view(), q.uniform_scale, config, mode, &view),
               &err))
            << err;
        EXPECT_EQ(view.gemm(1).name, Reported((op + ".mapped").c_str(), f));
        EXPECT_EQ(view.gemm(SIZE_MAX).name, Reported((op + ".mapped.prefill").c_str(), f));
        if (exact) continue;
        // Per-group float mins (zero points 0): table lookup only.
        for (uint8_t& z : q.zero) z = 0;
        q.min.assign(q.scale.size(), 0.25f);
        LutMatrix lookup;
        ASSERT_TRUE(Ok(LutMatrix::Create(q, config, mode, &lookup), &err)) << err;
        const std::string lop = "lutgemm.w" + std::to_string(bits) + ".lookup";
        EXPECT_EQ(lookup.gemm(1).name, Reported(lop.c_str(), f));
        EXPECT_EQ(lookup.gemm(SIZE_MAX).name, Reported((lop + ".prefill").c_str(), f));
      }
    }
    // Exact ternary rows with one scale: the ternary3 pair where preferred, else lutgemm w2a8.
    QuantizedMatrix q;
    std::string err;
    ASSERT_TRUE(Ok(quantize::QuantizeTernary(w.data(), m, k, 64, true, &q), &err)) << err;
    LutMatrix mat;
    ASSERT_TRUE(Ok(LutMatrix::Create(q, config, Activations::kInt8Exact, &mat), &err)) << err;
    EXPECT_EQ(mat.ternary3() != nullptr, config.ternary3_preferred());
    const std::string one = mat.ternary3() != nullptr ? mat.ternary3()->name : mat.gemm(1).name;
    const std::string many =
        mat.ternary3() != nullptr ? mat.ternary3()->name : mat.gemm(SIZE_MAX).name;
    EXPECT_EQ(one, Reported("ternary3", f));
    EXPECT_EQ(many, Reported("ternary3.prefill", f));
  }
}

// Q8_0, IQ4_NL and IQ4_XS in the file's blocks (kquant) and Q5_1 as int8 codes (q8block): each
// operator names the variant the catalog reports for its format.
TEST(KernelConfig, BlockFormatLinearsCallWhatTheCatalogReports) {
  const size_t rows = 32, cols = 256;
  lutra::testing::Rng rng(7);
  std::vector<float> w(rows * cols);
  for (float& v : w) v = rng.Normal(0.0f, 0.1f);
  for (const auto& [type, op] : {std::pair{gguf::TensorType::Q8_0, "kquant.q8_0"},
                                 std::pair{gguf::TensorType::IQ4_NL, "kquant.iq4nl"},
                                 std::pair{gguf::TensorType::IQ4_XS, "kquant.iq4xs"},
                                 std::pair{gguf::TensorType::Q5_1, "q8block"}}) {
    std::vector<uint8_t> bytes;
    if (type == gguf::TensorType::Q8_0) {
      bytes.resize(formats::EncodedBytes(type, w.size()));
      ASSERT_TRUE(formats::EncodeWeights(type, w.data(), w.size(), bytes.data())) << op;
    } else {
      // Any codes are valid: random bytes with finite fp16 scales (and min) in place.
      const formats::KQuantFormat f = formats::KQuantFormatOf(type);
      bytes.resize(rows * cols / f.weights * f.bytes);
      for (uint8_t& b : bytes) b = uint8_t(rng.Uniform(0.0f, 255.99f));
      for (size_t blk = 0; blk < bytes.size(); blk += f.bytes) {
        for (size_t field : f.fp16_fields) {
          if (field == SIZE_MAX) continue;
          const uint16_t h = kernels::f16::FloatToHalf(rng.Uniform(-0.01f, 0.01f));
          bytes[blk + field] = uint8_t(h & 255);
          bytes[blk + field + 1] = uint8_t(h >> 8);
        }
      }
    }
    gguf::TensorInfo t;
    t.name = "blk.0.test.weight";
    t.type = type;
    t.shape = {cols, rows};
    t.n_elements = rows * cols;
    t.n_bytes = bytes.size();
    t.data = bytes.data();
    for (const auto& [level, f] : HostLevels()) {
      SCOPED_TRACE(level);
      linear::PlanOptions options;
      options.kernels = &KernelConfig::For(f);
      auto linear = linear::PlanLinear(t, options);
      ASSERT_TRUE(linear.ok()) << linear.error();
      const std::string describe = (*linear)->Describe();
      EXPECT_NE(describe.find(Reported(op, f)), std::string::npos) << describe;
    }
  }
}

// The remaining catalog entries read the config's own fields (no operator exposes them).
TEST(KernelConfig, CatalogReadsTheConfig) {
  for (const auto& [level, f] : HostLevels()) {
    SCOPED_TRACE(level);
    const KernelConfig& c = KernelConfig::For(f);
    EXPECT_EQ(c.lutbuild().quantized->name, Reported("lutbuild.f32", f));
    EXPECT_EQ(c.lutbuild().exact->name, Reported("lutbuild.a8", f));
    EXPECT_EQ(c.lutbuild().int8->name, Reported("lutbuild.q8", f));
    EXPECT_EQ(c.lutbuild().int8_blocks->name, Reported("lutbuild.q8b", f));
    EXPECT_EQ(c.packw().pack->name, Reported("packw.pack", f));
    EXPECT_EQ(c.f16().to_f32->name, Reported("f16.tof32", f));
  }
}

}  // namespace
}  // namespace lutra::engine
