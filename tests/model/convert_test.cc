// lutra-convert (engine/src/convert through the lutra_convert C entry) and the runtime's packed
// tensors (docs/packed-format.md).
// - Round trip: a converted file's matrices, mapped by the kernel plan, give the same outputs
//   as the same quantization done in memory by the test (quantizer → LutMatrix::Create →
//   Multiply, outlier corrections added by the test), bit for bit.
// - Perplexity on stories260K (a real trained model) and a short story of our own at 4, 3, 2
//   bits with each quantizer, next to fp32: range search must beat round to nearest at 2 and 3
//   bits. The table is printed.
// - Safety: output == input refused, stop and a full disk leave no file, unsupported input and
//   unknown packing versions give clear errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "arch/detect.h"
#include "engine/src/convert/metadata.h"
#include "engine/src/formats/tensor_encode.h"
#include "engine/src/gguf/lutra_types.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/writer.h"
#include "engine/src/linear/linear.h"
#include "engine/src/linear/lut_matrix.h"
#include "engine/src/models/model.h"
#include "engine/src/quantize/range_search.h"
#include "engine/src/quantize/round_to_nearest.h"
#include "engine/src/synthetic/synthetic.h"
#include "kernels/f16/convert.h"
#include "lutra/lutra.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"
#include "tests/testing/rng.h"
#include "tests/testing/status_testing.h"
#include "tests/testing/test_scale.h"

namespace lutra::testing {
namespace {

namespace fs = std::filesystem;
namespace linear = engine::linear;
namespace quantize = engine::quantize;
using engine::models::Model;
using engine::models::ModelOptions;
using engine::models::Session;

// A fresh directory per test (removed afterwards), so "no file left behind" can be checked by
// listing it.
class TempDir {
 public:
  TempDir() {
    path_ =
        fs::temp_directory_path() / (std::string("lutra-convert-test-") +=
                                     std::to_string(::getpid()) + "-" + std::to_string(next_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> List() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
  static inline int next_ = 0;
};

lutra_status Convert(const std::string& in, const std::string& out, const char* wtype,
                     uint32_t group, bool asym, const char* method, float outliers,
                     lutra_convert_summary* summary = nullptr, std::vector<const char*> keep = {}) {
  lutra_convert_options o;
  lutra_convert_options_init(&o);
  o.wtype = wtype;
  o.group = group;
  o.asymmetric = asym ? 1 : 0;
  o.method = method;
  o.outlier_fraction = outliers;
  o.threads = 2;
  o.keep = keep.data();
  o.n_keep = keep.size();
  return lutra_convert(in.c_str(), out.c_str(), &o, summary);
}

std::string WriteTinyF32(const TempDir& dir, const std::string& preset = "small") {
  auto cfg = engine::synthetic::SyntheticPreset(preset);
  EXPECT_TRUE(cfg.ok());
  const std::string path = dir / "src.gguf";
  Status s = engine::synthetic::WriteSyntheticLlama(*cfg, path);
  EXPECT_TRUE(s.ok()) << s.error();
  return path;
}

std::vector<float> TensorF32(const gguf::TensorInfo& t) {
  std::vector<float> w(t.n_elements);
  Status s = engine::linear::DequantizeRows(t, 0, t.n_elements / t.shape[0], w.data());
  EXPECT_TRUE(s.ok()) << s.error();
  return w;
}

// The converter's quantization redone by the test: outliers (largest |w| per row, ties to the
// lower column) zeroed, quantized, corrections fp16(w − ŵ).
struct InMemory {
  quantize::QuantizedMatrix q;
  std::vector<std::vector<std::pair<uint32_t, float>>> corrections;  // per row, by column
};

InMemory QuantizeInMemory(std::vector<float> w, size_t m, size_t k, uint32_t bits, uint32_t group,
                          bool asym, bool search, size_t n_out) {
  InMemory r;
  r.corrections.resize(m);
  std::vector<std::vector<std::pair<uint32_t, float>>> saved(m);
  for (size_t row = 0; row < m; ++row) {
    std::vector<uint32_t> idx(k);
    std::iota(idx.begin(), idx.end(), 0u);
    std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) {  // ties: lower column
      const float fa = std::fabs(w[row * k + a]), fb = std::fabs(w[row * k + b]);
      return fa != fb ? fa > fb : a < b;
    });
    idx.resize(n_out);
    std::sort(idx.begin(), idx.end());
    for (uint32_t c : idx) {
      saved[row].push_back({c, w[row * k + c]});
      w[row * k + c] = 0.0f;
    }
  }
  std::string error;
  const bool ok = search
                      ? Ok(engine::quantize::QuantizeRangeSearch(w.data(), m, k, bits, group, asym,
                                                                 {}, nullptr, &r.q),
                           &error)
                      : Ok(quantize::QuantizeRtn(w.data(), m, k, bits, group, asym, &r.q), &error);
  EXPECT_TRUE(ok) << error;
  const size_t groups = (k + group - 1) / group;
  for (size_t row = 0; row < m; ++row) {
    for (auto [c, v] : saved[row]) {
      const size_t gi = row * groups + c / group;
      const double z = asym ? double(r.q.zero[gi]) : 0.5 * double((1 << bits) - 1);
      const float base = float(double(r.q.scale[gi]) * (double(r.q.q[row * k + c]) - z));
      const float h = kernels::f16::HalfToFloat(engine::formats::FloatToHalfBits(v - base));
      r.corrections[row].push_back({c, h});
    }
  }
  return r;
}

struct Variant {
  const char* wtype;
  uint32_t group;
  bool asym;
  const char* method;
  float outliers;
};

TEST(Convert, RoundTripEqualsInMemoryQuantization) {
  TempDir dir;
  // Under emulation the range search over the "small" preset's 4 M weights (done twice: by the
  // converter and by the test) took three minutes; "tiny-gqa4" still has rows a multiple of
  // every group size and several k-blocks per row.
  const std::string preset = testing::SmallTestScale() ? "tiny-gqa4" : "small";
  const std::string src = WriteTinyF32(dir, preset);
  const size_t n_layer = engine::synthetic::SyntheticPreset(preset)->n_layer;
  auto in = gguf::File::open(src);
  ASSERT_TRUE(in.ok()) << in.error();
  const Variant variants[] = {{"q2", 64, false, "search", 0.0f},
                              {"q3", 32, true, "rtn", 0.0f},
                              {"q4", 128, false, "rtn", 0.02f},
                              {"q2", 64, true, "search", 0.01f},
                              {"q1", 32, false, "rtn", 0.0f}};
  const arch::IsaSet features = arch::Process().features;
  engine::ThreadPool pool(2);
  engine::linear::LinearScratch scratch;
  Rng rng(7);
  for (const Variant& v : variants) {
    SCOPED_TRACE(std::string(v.wtype) + " g" + std::to_string(v.group) + (v.asym ? " asym " : " ") +
                 v.method + " outliers " + std::to_string(v.outliers));
    const std::string out = dir / "out.gguf";
    ASSERT_EQ(Convert(src, out, v.wtype, v.group, v.asym, v.method, v.outliers), LUTRA_STATUS_OK)
        << lutra_last_error();
    auto f = gguf::File::open(out);
    ASSERT_TRUE(f.ok()) << f.error();
    ASSERT_EQ(f->get_count(gguf::kPackingVersionKey).ok(), true);
    // Metadata copied unchanged (every source key present with the same type).
    for (const std::string& key : in->keys()) {
      ASSERT_TRUE(f->has(key)) << key;
      EXPECT_EQ(int(f->find(key)->type), int(in->find(key)->type)) << key;
    }
    size_t packed = 0, packed_bits_bytes = 0;
    for (const gguf::TensorInfo& t : f->tensors()) {
      const auto type = gguf::DecodePackedType(uint32_t(t.type));
      if (!type) continue;
      ++packed;
      packed_bits_bytes += t.shape[0] * t.shape[1] * type->bits / 8;
      SCOPED_TRACE(t.name);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u);
      const size_t k = t.shape[0], m = t.shape[1];
      const uint32_t bits = t.name == "output.weight" ? std::max(4u, type->bits) : type->bits;
      ASSERT_EQ(type->bits, bits);
      const size_t n_out =
          v.outliers > 0 ? size_t(std::clamp<long>(std::lround(v.outliers * double(k)), 1, 255))
                         : 0;
      ASSERT_EQ(type->outliers, n_out);
      const InMemory mem = QuantizeInMemory(TensorF32(*in->tensor(t.name)), m, k, bits, v.group,
                                            v.asym, std::string(v.method) == "search", n_out);
      // The host's kernels and the scalar ones (which must not read the bias a symmetric
      // mapped matrix does not store).
      for (const arch::IsaSet isa : {features, arch::IsaSet{}}) {
        linear::LutMatrix lm;
        std::string error;
        ASSERT_TRUE(Ok(linear::LutMatrix::Create(mem.q, lutra::engine::KernelConfig::For(isa),
                                                 linear::Activations::kQuantizedTables, &lm),
                       &error))
            << error;
        engine::linear::PlanOptions plan;
        plan.kernels = &engine::KernelConfig::For(isa);
        auto op = engine::linear::PlanLinear(t, plan);
        ASSERT_TRUE(op.ok()) << op.error();
        EXPECT_EQ((*op)->OwnedBytes(), 0u) << "a mapped packed matrix must not be copied";
        // ...but decode still streams it: at least its bits count as read (roofline figures).
        EXPECT_GE((*op)->StreamedBytes(), m * k * bits / 8);
        for (size_t n : {size_t(1), size_t(5)}) {
          std::vector<float> x(n * k), want(n * m), got(n * m);
          for (float& e : x) e = rng.Uniform(-1.0f, 1.0f);
          linear::Multiply(lm, n, x.data(), want.data(), pool, scratch.lut);
          for (size_t tok = 0; tok < n; ++tok) {
            for (size_t r = 0; r < m; ++r) {
              for (auto [c, val] : mem.corrections[r]) want[tok * m + r] += val * x[tok * k + c];
            }
          }
          ASSERT_TRUE((*op)->Forward(n, x.data(), got.data(), pool, scratch).ok());
          for (size_t i = 0; i < n * m; ++i) {
            // Same codes, scales and kernel; the corrections are added in the same order, so
            // the only freedom is floating-point contraction of the corrections: 1e-6 relative.
            ASSERT_NEAR(got[i], want[i], 1e-6f * std::max(1.0f, std::fabs(want[i]))) << "i=" << i;
          }
        }
      }
    }
    EXPECT_EQ(packed, n_layer * 7 + 1);  // 7 matrices per layer + output
    // The whole model loads and runs from the packed file.
    auto model = Model::Load(out, {});
    ASSERT_TRUE(model.ok()) << model.error();
    EXPECT_GE((*model)->streamed_weight_bytes(), packed_bits_bytes);
    auto s = Session::Create(**model);
    ASSERT_TRUE(s.ok());
    const int32_t toks[] = {1, 5, 9};
    auto logits = (*s)->Prefill(toks);
    ASSERT_TRUE(logits.ok()) << logits.error();
    for (float l : *logits) ASSERT_TRUE(std::isfinite(l));
  }
}

TEST(Convert, TernaryAndLosslessRepacks) {
  TempDir dir;
  auto cfg = engine::synthetic::SyntheticPreset("small");
  ASSERT_TRUE(cfg.ok());
  // TQ2_0, I2_S and Q4_0 sources: their codes and scales carry over exactly, so the packed
  // matrix dequantizes to the source's values (the reference decodes the source blocks in
  // double). I2_S comes from the tests' own writer (a BitNet-shaped model).
  for (auto [type, wtype, group, asym] : {std::tuple{gguf::TensorType::TQ2_0, "tq", 64u, false},
                                          std::tuple{gguf::TensorType::I2_S, "tq", 64u, false},
                                          std::tuple{gguf::TensorType::Q4_0, "q4", 32u, true}}) {
    SCOPED_TRACE(gguf::TensorTypeName(uint32_t(type)));
    cfg->weight_type = type;
    const std::string src = dir / "src.gguf", out = dir / "out.gguf";
    if (type == gguf::TensorType::I2_S) {
      SynthLlama c;
      c.arch = "bitnet-b1.58";
      c.dim = 256, c.heads = 4, c.kv_heads = 2, c.ff = 512, c.vocab = 160;
      c.sub_norms = true;
      c.wtype = type;
      ASSERT_TRUE(WriteSynthLlama(c, src).ok());
    } else {
      ASSERT_TRUE(engine::synthetic::WriteSyntheticLlama(*cfg, src).ok());
    }
    lutra_convert_summary sum;
    ASSERT_EQ(Convert(src, out, wtype, group, asym, "search", 0.0f, &sum), LUTRA_STATUS_OK)
        << lutra_last_error();
    auto in = gguf::File::open(src);
    auto f = gguf::File::open(out);
    ASSERT_TRUE(in.ok() && f.ok());
    const gguf::TensorInfo& t = *f->tensor("blk.0.ffn_up.weight");
    const auto pt = gguf::DecodePackedType(uint32_t(t.type));
    ASSERT_TRUE(pt.has_value());
    gguf::PackedLayout layout;
    std::string error;
    ASSERT_TRUE(Ok(gguf::PackedTensorLayout(*pt, t.shape, &layout), &error));
    const size_t k = t.shape[0], m = t.shape[1];
    const kernels::packw::Shape shape{m, k, pt->bits, pt->group, pt->asymmetric};
    std::vector<uint8_t> q(m * k), zero(m * kernels::packw::Groups(shape));
    std::vector<float> scale(zero.size());
    kernels::packw::Select(arch::Process().features)
        .unpack->fn(shape,
                    {t.data + layout.bits, reinterpret_cast<const float*>(t.data + layout.scale),
                     reinterpret_cast<const float*>(t.data + layout.bias), t.data + layout.zero},
                    {q.data(), scale.data(), zero.data()});
    const std::vector<float> ref = TensorF32(*in->tensor(t.name));
    const size_t groups = kernels::packw::Groups(shape);
    for (size_t r = 0; r < m; ++r) {
      for (size_t c = 0; c < k; ++c) {
        const size_t gi = r * groups + c / pt->group;
        const double w = double(scale[gi]) * (double(q[r * k + c]) - double(zero[gi]));
        ASSERT_EQ(w, double(ref[r * k + c])) << "row " << r << " col " << c;
      }
    }
  }
  // Ternary absmean from fp32 (BitNet b1.58): per-tensor scale, codes {0, 1, 2}.
  cfg->weight_type = gguf::TensorType::F32;
  const std::string src = dir / "src.gguf", out = dir / "out.gguf";
  ASSERT_TRUE(engine::synthetic::WriteSyntheticLlama(*cfg, src).ok());
  ASSERT_EQ(Convert(src, out, "tq", 64, false, "rtn", 0.0f), LUTRA_STATUS_OK) << lutra_last_error();
  auto f = gguf::File::open(out);
  ASSERT_TRUE(f.ok());
  const auto pt = gguf::DecodePackedType(uint32_t(f->tensor("blk.1.attn_q.weight")->type));
  ASSERT_TRUE(pt && pt->ternary && pt->uniform_scale);
  auto model = Model::Load(out, {});
  ASSERT_TRUE(model.ok()) << model.error();
}

// Perplexity of a model on the story (tokens from the model's own tokenizer, BOS first).
double Perplexity(const std::string& path, const std::string& text) {
  ModelOptions mo;
  mo.threads = 2;
  auto model = Model::Load(path, mo);
  EXPECT_TRUE(model.ok()) << model.error();
  if (!model.ok()) return NAN;
  const std::vector<int32_t> ids = (*model)->tokenizer()->encode(text, {.add_bos = true});
  auto s = Session::Create(**model);
  const size_t vocab = (*model)->hparams().n_vocab, n = std::min<size_t>(ids.size(), 256);
  std::vector<float> logits(n * vocab);
  Status st = (*s)->Evaluate(std::span<const int32_t>(ids.data(), n), logits);
  EXPECT_TRUE(st.ok()) << st.error();
  double nll = 0.0;
  for (size_t i = 0; i + 1 < n; ++i) {
    const float* l = logits.data() + i * vocab;
    double mx = *std::max_element(l, l + vocab), sum = 0.0;
    for (size_t v = 0; v < vocab; ++v) sum += std::exp(double(l[v]) - mx);
    nll += mx + std::log(sum) - double(l[ids[i + 1]]);
  }
  return std::exp(nll / double(n - 1));
}

TEST(Convert, Stories260KPerplexityTable) {
  const std::string path = ModelsDir() + "/stories260K.gguf";
  if (!fs::exists(path)) GTEST_SKIP() << "stories260K.gguf not found in " << ModelsDir();
  // tests/data next to this file's folder (sources are compiled by absolute path).
  std::ifstream story(fs::path(__FILE__).parent_path().parent_path() / "data" /
                      "convert_story.txt");
  ASSERT_TRUE(story.good());
  std::stringstream ss;
  ss << story.rdbuf();
  const std::string text = ss.str();
  TempDir dir;
  const double fp32 = Perplexity(path, text);
  std::printf("stories260K perplexity (%s), fp32 %.4f\n", "convert_story.txt", fp32);
  std::printf("| method            | bits | bpw   | PPL     | rel.err  |\n");
  struct Row {
    const char* method;
    float outliers;
    bool asym;
  };
  const Row rows[] = {{"rtn", 0.0f, false},
                      {"search", 0.0f, false},
                      {"rtn", 0.01f, false},
                      {"search", 0.01f, false},
                      {"search", 0.0f, true}};
  double ppl[3][5];
  for (int b = 4; b >= 2; --b) {
    std::string wtype(1, 'q');  // GCC 12 warns falsely about "q" + std::string
    wtype += char('0' + b);
    for (size_t i = 0; i < std::size(rows); ++i) {
      const std::string out = dir / "q.gguf";
      lutra_convert_summary sum;
      // Everything at the tested width (the default keeps output.weight at 4 bits).
      std::string keep = "output.weight=";
      keep += wtype;
      ASSERT_EQ(Convert(path, out, wtype.c_str(), 32, rows[i].asym, rows[i].method,
                        rows[i].outliers, &sum, {keep.c_str()}),
                LUTRA_STATUS_OK)
          << lutra_last_error();
      ppl[4 - b][i] = Perplexity(out, text);
      std::printf("| %-6s%-4s%-7s | %4d | %.3f | %7.4f | %.2e |\n", rows[i].method,
                  rows[i].asym ? "+asm" : "", rows[i].outliers > 0 ? "+outl" : "", b,
                  sum.bits_per_weight, ppl[4 - b][i], sum.relative_error);
      EXPECT_TRUE(std::isfinite(ppl[4 - b][i]));
    }
  }
  {
    const std::string out = dir / "tq.gguf";
    lutra_convert_summary sum;
    ASSERT_EQ(Convert(path, out, "tq", 128, false, "rtn", 0.0f, &sum, {"output.weight=tq"}),
              LUTRA_STATUS_OK);
    std::printf("| ternary absmean   |  1.58| %.3f | %7.4f | %.2e |\n", sum.bits_per_weight,
                Perplexity(out, text), sum.relative_error);
  }
  // The range search minimizes each group's error and never does worse than round to
  // nearest on it; at 2 and 3 bits, where clipping pays most, that must show in perplexity.
  EXPECT_LT(ppl[2][1], ppl[2][0]) << "2-bit: search vs rtn";
  EXPECT_LT(ppl[1][1], ppl[1][0]) << "3-bit: search vs rtn";
  // 4-bit stays usable: within 50% of fp32 on this 260K-parameter model (its LUT path also
  // quantizes activations per group to int8 tables).
  EXPECT_LT(ppl[0][1], 1.5 * fp32);
}

TEST(Convert, RefusesToOverwriteItsInput) {
  TempDir dir;
  const std::string src = WriteTinyF32(dir, "tiny");
  EXPECT_EQ(Convert(src, src, "q2", 64, false, "rtn", 0.0f), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("is the input"), std::string::npos)
      << lutra_last_error();
  const std::string link = dir / "link.gguf";
  fs::create_hard_link(src, link);
  EXPECT_EQ(Convert(src, link, "q2", 64, false, "rtn", 0.0f), LUTRA_STATUS_INVALID_ARGUMENT);
  const std::string sym = dir / "sym.gguf";
  fs::create_symlink(src, sym);
  EXPECT_EQ(Convert(sym, src, "q2", 64, false, "rtn", 0.0f), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(dir.List(), (std::vector<std::string>{"link.gguf", "src.gguf", "sym.gguf"}));
  auto f = gguf::File::open(src);
  EXPECT_TRUE(f.ok());  // untouched
}

TEST(Convert, StopLeavesNoFile) {
  TempDir dir;
  const std::string src = WriteTinyF32(dir);
  for (int after : {0, 1, 7, 30}) {
    lutra_convert_options o;
    lutra_convert_options_init(&o);
    o.threads = 2;
    int calls = after;
    o.user_data = &calls;
    o.should_stop = [](void* u) { return --*static_cast<int*>(u) < 0 ? 1 : 0; };
    lutra_convert_summary sum;
    EXPECT_EQ(lutra_convert(src.c_str(), (dir / "out.gguf").c_str(), &o, &sum),
              LUTRA_STATUS_IO_ERROR);
    EXPECT_EQ(sum.stopped, 1);
    EXPECT_EQ(dir.List(), std::vector<std::string>{"src.gguf"}) << "after " << after;
  }
}

// The callbacks run on the converting thread only (lutra.h), also while a matrix is quantized
// across the pool: a callback may keep unsynchronized state. Regression: the round-to-nearest
// loop polled should_stop from the pool's worker threads (found by scripts/tsan.sh).
TEST(Convert, CallbacksRunOnTheConvertingThread) {
  TempDir dir;
  const std::string src = WriteTinyF32(dir);
  struct Seen {
    std::thread::id caller = std::this_thread::get_id();
    int calls = 0;
    bool elsewhere = false;
    void Call() {
      ++calls;
      elsewhere = elsewhere || std::this_thread::get_id() != caller;
    }
  };
  for (const char* method : {"rtn", "search"}) {
    Seen seen;
    lutra_convert_options o;
    lutra_convert_options_init(&o);
    o.method = method;
    o.threads = 2;
    o.user_data = &seen;
    o.should_stop = [](void* u) {
      static_cast<Seen*>(u)->Call();
      return 0;
    };
    o.progress = [](float, void* u) { static_cast<Seen*>(u)->Call(); };
    o.on_tensor = [](const lutra_convert_tensor_report*, void* u) {
      static_cast<Seen*>(u)->Call();
    };
    ASSERT_EQ(lutra_convert(src.c_str(), (dir / "out.gguf").c_str(), &o, nullptr), LUTRA_STATUS_OK)
        << lutra_last_error();
    EXPECT_GT(seen.calls, 0) << method;
    EXPECT_FALSE(seen.elsewhere) << method;
  }
}

TEST(Convert, FullDiskLeavesNoFile) {
  TempDir dir;
  const std::string src = WriteTinyF32(dir);
  const std::string out = dir / "out.gguf";
  // The child may write at most 64 KiB per file: writes past it fail (EFBIG) as on a full disk.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim {
      65536, 65536
    };
    setrlimit(RLIMIT_FSIZE, &lim);
    const lutra_status st = Convert(src, out, "q4", 64, false, "rtn", 0.0f);
    const bool mentions = std::string(lutra_last_error()).find("write failed") != std::string::npos;
    _exit(st == LUTRA_STATUS_IO_ERROR && mentions ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the conversion must fail with an I/O error";
  EXPECT_EQ(dir.List(), std::vector<std::string>{"src.gguf"});
}

TEST(Convert, ClearErrorsForBadInputAndOptions) {
  TempDir dir;
  const std::string src = WriteTinyF32(dir, "tiny");
  const std::string out = dir / "out.gguf";
  auto expect = [&](lutra_status got, lutra_status want, const char* needle) {
    EXPECT_EQ(got, want) << lutra_last_error();
    EXPECT_NE(std::string(lutra_last_error()).find(needle), std::string::npos)
        << lutra_last_error();
  };
  expect(Convert(src, out, "q5", 64, false, "rtn", 0), LUTRA_STATUS_INVALID_ARGUMENT, "q5");
  expect(Convert(src, out, "q2", 48, false, "rtn", 0), LUTRA_STATUS_INVALID_ARGUMENT, "group");
  expect(Convert(src, out, "q2", 64, false, "gptq", 0), LUTRA_STATUS_INVALID_ARGUMENT, "gptq");
  expect(Convert(src, out, "q2", 64, false, "rtn", 0, nullptr, {"token_embd.weight=q2"}),
         LUTRA_STATUS_INVALID_ARGUMENT, "token_embd.weight");
  expect(Convert(src, out, "q2", 64, false, "rtn", 0, nullptr, {"nonsense"}),
         LUTRA_STATUS_INVALID_ARGUMENT, "PATTERN=TYPE");
  expect(Convert(dir / "missing.gguf", out, "q2", 64, false, "rtn", 0), LUTRA_STATUS_INVALID_MODEL,
         "missing.gguf");
  // A type the converter cannot read (Q8_K, llama.cpp's activation type) in a matrix.
  {
    gguf::Writer w;
    w.set_string("general.architecture", "llama");
    std::vector<uint8_t> blocks(292 * 2, 0);
    ASSERT_TRUE(w.add_tensor("blk.0.attn_q.weight", gguf::TensorType::Q8_K, {256, 2}, blocks.data(),
                             blocks.size())
                    .ok());
    ASSERT_TRUE(w.write(dir / "q8k.gguf").ok());
    expect(Convert(dir / "q8k.gguf", out, "q2", 64, false, "rtn", 0), LUTRA_STATUS_INVALID_MODEL,
           "Q8_K");
  }
  // A converted file is not converted again.
  ASSERT_EQ(Convert(src, out, "q2", 64, false, "rtn", 0), LUTRA_STATUS_OK);
  expect(Convert(out, dir / "again.gguf", "q2", 64, false, "rtn", 0), LUTRA_STATUS_INVALID_MODEL,
         "already lutra-packed");
  std::vector<std::string> want{"out.gguf", "q8k.gguf", "src.gguf"};
  EXPECT_EQ(dir.List(), want);
}

TEST(Convert, RuntimeRefusesUnknownPackingVersion) {
  TempDir dir;
  const std::string src = WriteTinyF32(dir, "tiny");
  const std::string out = dir / "out.gguf";
  ASSERT_EQ(Convert(src, out, "q2", 64, false, "rtn", 0), LUTRA_STATUS_OK);
  auto f = gguf::File::open(out);
  ASSERT_TRUE(f.ok());
  for (uint32_t version : {0u, 2u}) {
    gguf::Writer w(64);
    ASSERT_TRUE(engine::convert::CopyMetadata(*f, &w).ok());
    w.set_u32("general.alignment", 64);
    w.set_u32(gguf::kPackingVersionKey, version);
    for (const gguf::TensorInfo& t : f->tensors()) {
      ASSERT_TRUE(w.add_tensor(t.name, t.type, t.shape, t.data, t.n_bytes).ok());
    }
    const std::string bad = dir / "bad.gguf";
    ASSERT_TRUE(w.write(bad).ok());
    auto m = Model::Load(bad, {});
    ASSERT_FALSE(m.ok());
    std::string needle = "packing version ";
    needle += std::to_string(version);
    EXPECT_NE(m.error().find(needle), std::string::npos) << m.error();
  }
}

}  // namespace
}  // namespace lutra::testing
