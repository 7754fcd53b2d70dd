// Files written by llama.cpp's own quantizer, where it is installed: a small random llama model
// (F16, every width a multiple of 256) quantized by llama-quantize to IQ4_XS and to IQ4_NL with
// --pure (every matrix, the embedding table and the output head in the type), then the engine's
// logits at every position of a prompt (batched prefill, then single-token decode) against the
// double-precision reference reading the same blocks with its own decoder
// (tests/model/quant_blocks.h). This checks the formats as llama.cpp writes them (field order,
// scale packing, nibble order), which the synthetic block tests can only assume.
//
// The tool is LUTRA_LLAMA_QUANTIZE (the build sets it from the CMake cache entry of that name,
// default ../peers/llama.cpp/build/bin/llama-quantize); the test skips with a message when it is
// absent, and under emulation (the tool is a host binary).
//
// Tolerance as quantized_test.cc's ternary model: the weights are exact, the activations int8
// per 256 (IQ4_XS) or per 32 (IQ4_NL) with ≤ s/2 rounding per value, about 1% of a dot product,
// compounded over two layers and the head: 5e-2 × max(1, max|logit|); a misread field or nibble
// moves logits by O(1).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/src/gguf/lutra_types.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/models/model.h"
#include "tests/model/llama_reference.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

using engine::models::Model;
using engine::models::ModelOptions;
using engine::models::Session;

std::string Quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(LlamaCppFiles, IQ4FromLlamaQuantize) {
  const char* tool = std::getenv("LUTRA_LLAMA_QUANTIZE");
  if (tool == nullptr || *tool == '\0' || !std::filesystem::exists(tool)) {
    GTEST_SKIP() << "llama-quantize not found (LUTRA_LLAMA_QUANTIZE="
                 << (tool != nullptr ? tool : "unset") << ")";
  }
  if (const char* e = std::getenv("LUTRA_TEST_EMULATED"); e != nullptr && *e == '1') {
    GTEST_SKIP() << "llama-quantize is a host binary; not run under emulation";
  }
  SynthLlama cfg;
  cfg.dim = 256, cfg.layers = 2, cfg.heads = 4, cfg.kv_heads = 2, cfg.ff = 512, cfg.vocab = 256;
  cfg.wtype = gguf::TensorType::F16;
  TempFile source("lutra-llama-cpp-f16");
  ASSERT_TRUE(WriteSynthLlama(cfg, source.path()).ok());

  for (const gguf::TensorType type : {gguf::TensorType::IQ4_XS, gguf::TensorType::IQ4_NL}) {
    const std::string name = gguf::TensorTypeName(uint32_t(type));
    SCOPED_TRACE(name);
    TempFile out("lutra-llama-cpp-" + name), log("lutra-llama-cpp-log");
    const std::string cmd = Quoted(tool) + " --pure " + Quoted(source.path()) + " " +
                            Quoted(out.path()) + " " + name + " 1 > " + Quoted(log.path()) +
                            " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << ReadText(log.path());
    auto file = gguf::File::open(out.path());
    ASSERT_TRUE(file.ok()) << file.error();
    size_t matrices = 0;
    for (const gguf::TensorInfo& t : (*file).tensors()) {
      if (t.shape.size() != 2) continue;
      EXPECT_EQ(t.type, type) << t.name;
      ++matrices;
    }
    EXPECT_EQ(matrices, 2 + 7 * cfg.layers);  // embedding, head, 7 per layer

    ModelOptions o;
    o.threads = 2;
    o.batch = 5;
    o.kv_type = engine::attention::KvType::kF32;
    o.context_length = 64;
    auto model = Model::Load(out.path(), o);
    ASSERT_TRUE(model.ok()) << model.error();
    auto session = Session::Create(**model);
    ASSERT_TRUE(session.ok()) << session.error();
    RefLlama ref(*file);
    Rng rng(7);
    std::vector<int32_t> prompt(11);
    for (int32_t& t : prompt) t = rng.Int(0, int(cfg.vocab) - 1);
    double worst = 0;
    auto check = [&](std::span<const float> got, const std::vector<double>& want) {
      const Diff d = Compare(got, want);
      const double rel = d.max_abs / std::max(1.0, d.ref_max);
      worst = std::max(worst, rel);
      return rel <= 5e-2;
    };
    std::vector<float> all(prompt.size() * cfg.vocab);
    ASSERT_TRUE((*session)->Evaluate(prompt, all).ok());
    for (size_t i = 0; i < prompt.size(); ++i) {
      EXPECT_TRUE(
          check(std::span<const float>(all).subspan(i * cfg.vocab, cfg.vocab), ref.Step(prompt[i])))
          << "prefill position " << i << ": worst " << worst;
    }
    int32_t next = prompt.back();
    for (int step = 0; step < 4; ++step) {
      next = (next * 7 + 3) % int32_t(cfg.vocab);
      auto got = (*session)->Decode(next);
      ASSERT_TRUE(got.ok()) << got.error();
      EXPECT_TRUE(check(*got, ref.Step(next))) << "decode step " << step << ": worst " << worst;
    }
    std::cout << "  " << name << " from llama-quantize: worst |Δlogit| / max(1, max|logit|) "
              << worst << "\n";
  }
}

}  // namespace
}  // namespace lutra::testing
