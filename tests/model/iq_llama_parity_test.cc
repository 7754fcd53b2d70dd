// The lattice i-quants end to end against llama.cpp itself, where it is present: every
// IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S and IQ1_M tensor of llama-quantize-written files
// decodes (DequantizeRows, the embeddings' and lutra-convert's path, and the arithmetic the
// kquant kernels' tests check) to exactly the floats of llama.cpp's own dequantize_row_iq*
// (loaded from its libggml-base), on a spread of rows. Skipped unless both are given:
//   LUTRA_LLAMA_GGML_BASE  path to llama.cpp's libggml-base.so
//   LUTRA_IQ_GGUF          the files, separated by ':' (e.g. llama-quantize --imatrix output)
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/linear/linear.h"

namespace lutra::engine {
namespace {

using gguf::TensorType;
using DequantizeRow = void (*)(const void* x, float* y, int64_t k);
// ggml_init's parameters (ggml.h: struct ggml_init_params); ggml_init fills the fp16 table the
// dequantizers read, so it must run first.
struct GgmlInitParams {
  size_t mem_size;
  void* mem_buffer;
  bool no_alloc;
};
using GgmlInit = void* (*)(GgmlInitParams);
using GgmlFree = void (*)(void*);

const char* LlamaName(TensorType t) {
  switch (t) {
    case TensorType::IQ2_XXS:
      return "dequantize_row_iq2_xxs";
    case TensorType::IQ2_XS:
      return "dequantize_row_iq2_xs";
    case TensorType::IQ2_S:
      return "dequantize_row_iq2_s";
    case TensorType::IQ3_XXS:
      return "dequantize_row_iq3_xxs";
    case TensorType::IQ3_S:
      return "dequantize_row_iq3_s";
    case TensorType::IQ1_S:
      return "dequantize_row_iq1_s";
    case TensorType::IQ1_M:
      return "dequantize_row_iq1_m";
    default:
      return nullptr;
  }
}

TEST(IqLlamaParity, DecodeMatchesLlamaCppOnItsFiles) {
  const char* lib = std::getenv("LUTRA_LLAMA_GGML_BASE");
  const char* files = std::getenv("LUTRA_IQ_GGUF");
  if (lib == nullptr || files == nullptr) {
    GTEST_SKIP() << "set LUTRA_LLAMA_GGML_BASE and LUTRA_IQ_GGUF to compare with llama.cpp";
  }
  void* handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto init = reinterpret_cast<GgmlInit>(dlsym(handle, "ggml_init"));
  auto release = reinterpret_cast<GgmlFree>(dlsym(handle, "ggml_free"));
  ASSERT_TRUE(init != nullptr && release != nullptr) << "no ggml_init / ggml_free in " << lib;
  void* context = init({1024, nullptr, true});
  ASSERT_NE(context, nullptr);
  std::stringstream list(files);
  std::string path;
  size_t checked = 0;
  while (std::getline(list, path, ':')) {
    auto file = gguf::File::open(path);
    ASSERT_TRUE(file.ok()) << file.error();
    for (const gguf::TensorInfo& t : file->tensors()) {
      const char* name = LlamaName(t.type);
      if (name == nullptr) continue;
      auto fn = reinterpret_cast<DequantizeRow>(dlsym(handle, name));
      ASSERT_NE(fn, nullptr) << name << ": " << dlerror();
      const size_t cols = t.shape[0], rows = t.n_elements / cols;
      const size_t row_bytes = t.n_bytes / rows;
      std::vector<float> ours(cols), theirs(cols);
      for (size_t r : {size_t(0), rows / 3, rows / 2 + 1, rows - 1}) {
        ASSERT_TRUE(linear::DequantizeRows(t, r, 1, ours.data()).ok()) << t.name;
        fn(t.data + r * row_bytes, theirs.data(), int64_t(cols));
        for (size_t c = 0; c < cols; ++c) {
          ASSERT_EQ(ours[c], theirs[c]) << path << " " << t.name << " row " << r << " col " << c;
        }
      }
      ++checked;
    }
  }
  release(context);
  dlclose(handle);
  EXPECT_GT(checked, 0u) << "no i-quant tensors in " << files;
  std::printf("[lutra] %zu i-quant tensors decode as llama.cpp's dequantize_row_iq*\n", checked);
}

}  // namespace
}  // namespace lutra::engine
