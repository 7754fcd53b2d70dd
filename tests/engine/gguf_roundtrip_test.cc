// Writer -> reader round trip for every metadata type and several tensor types, plus the
// real files in the shared models directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/writer.h"

namespace lutra::gguf {
namespace {

std::string temp_path(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("lutra_gguf_" + std::string(tag) + "_" + std::to_string(::getpid()) + ".gguf"))
      .string();
}

TEST(GgufRoundTrip, EveryMetadataTypeAndTensors) {
  Writer w(64);
  w.set_u8("k.u8", 200);
  w.set_i8("k.i8", -100);
  w.set_u16("k.u16", 60000);
  w.set_i16("k.i16", -30000);
  w.set_u32("k.u32", 4000000000u);
  w.set_i32("k.i32", -2000000000);
  w.set_u64("k.u64", 0xfedcba9876543210ull);
  w.set_i64("k.i64", -0x123456789abcdefll);
  w.set_f32("k.f32", 3.25f);
  w.set_f64("k.f64", -1e300);
  w.set_bool("k.bool", true);
  w.set_string("k.str", "h\xc3\xa9llo");
  w.set_u32("general.alignment", 64);
  const std::vector<float> fa = {1.5f, -2.f, 0.f};
  w.set_array("k.af32", ValueType::F32, fa.data(), fa.size());
  const std::vector<int16_t> ia = {-5, 7, 32767};
  w.set_array("k.ai16", ValueType::I16, ia.data(), ia.size());
  const std::vector<uint8_t> ba = {1, 0, 1};
  w.set_array("k.abool", ValueType::Bool, ba.data(), ba.size());
  w.set_string_array("k.astr", {"a", "", "\xe2\x96\x81x"});

  std::mt19937 rng(7);
  struct T {
    std::string name;
    TensorType type;
    std::vector<uint64_t> shape;
    uint64_t bytes;
  };
  const std::vector<T> ts = {{"f32", TensorType::F32, {5, 3}, 60},
                             {"f16", TensorType::F16, {7}, 14},
                             {"q4_0", TensorType::Q4_0, {64, 2}, 4 * 18},
                             {"q8_0", TensorType::Q8_0, {32, 1, 3}, 3 * 34},
                             {"tq2_0", TensorType::TQ2_0, {256, 2}, 2 * 66},
                             {"tq1_0", TensorType::TQ1_0, {512}, 2 * 54},
                             // I2_S: 32 bytes per 128 weights and a 32-byte tail per tensor.
                             {"i2_s", TensorType::I2_S, {256, 3}, 6 * 32 + 32}};
  std::vector<std::vector<uint8_t>> datas;
  for (const T& t : ts) {
    std::vector<uint8_t> d(t.bytes);
    for (auto& b : d) b = static_cast<uint8_t>(rng());
    ASSERT_TRUE(w.add_tensor(t.name, t.type, t.shape, d.data(), d.size()).ok());
    datas.push_back(d);
  }
  EXPECT_FALSE(w.add_tensor("bad", TensorType::Q4_0, {31}, datas[0].data(), 18).ok());
  EXPECT_FALSE(w.add_tensor("bad", TensorType::I2_S, {96}, datas[0].data(), 56).ok());
  const std::string path = temp_path("rt");
  ASSERT_TRUE(w.write(path).ok());
  auto f = File::open(path);
  ASSERT_TRUE(f.ok()) << f.error();
  std::remove(path.c_str());
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(*f->get_u8("k.u8"), 200);
  EXPECT_EQ(*f->get_i8("k.i8"), -100);
  EXPECT_EQ(*f->get_u16("k.u16"), 60000);
  EXPECT_EQ(*f->get_i16("k.i16"), -30000);
  EXPECT_EQ(*f->get_u32("k.u32"), 4000000000u);
  EXPECT_EQ(*f->get_i32("k.i32"), -2000000000);
  EXPECT_EQ(*f->get_u64("k.u64"), 0xfedcba9876543210ull);
  EXPECT_EQ(*f->get_i64("k.i64"), -0x123456789abcdefll);
  EXPECT_EQ(*f->get_f32("k.f32"), 3.25f);
  EXPECT_EQ(*f->get_f64("k.f64"), -1e300);
  EXPECT_EQ(*f->get_bool("k.bool"), true);
  EXPECT_EQ(*f->get_string("k.str"), "h\xc3\xa9llo");
  EXPECT_EQ(*f->get_f32_array("k.af32"), fa);
  EXPECT_EQ(*f->get_int_array("k.ai16"), (std::vector<int64_t>{-5, 7, 32767}));
  EXPECT_EQ(*f->get_bool_array("k.abool"), (std::vector<bool>{true, false, true}));
  auto sa = f->get_string_array("k.astr");
  ASSERT_TRUE(sa.ok());
  ASSERT_EQ(sa->size(), 3u);
  EXPECT_EQ((*sa)[2], "\xe2\x96\x81x");
  EXPECT_EQ(*f->get_count("k.u32"), 4000000000u);
  EXPECT_FALSE(f->get_count("k.i8").ok());

  auto mism = f->get_u32("k.f32");
  ASSERT_FALSE(mism.ok());
  EXPECT_NE(mism.error().find("'k.f32' has type f32, expected u32"), std::string::npos)
      << mism.error();
  auto missing = f->get_string("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("'nope' not found"), std::string::npos);
  EXPECT_FALSE(f->get_string_array("k.af32").ok());

  ASSERT_EQ(f->tensors().size(), ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    const TensorInfo* t = f->tensor(ts[i].name);
    ASSERT_NE(t, nullptr) << ts[i].name;
    EXPECT_EQ(t->type, ts[i].type);
    EXPECT_EQ(t->shape, ts[i].shape);
    EXPECT_EQ(t->n_bytes, ts[i].bytes);
    EXPECT_EQ(t->offset % 64, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % 64, 0u);  // mmap is page aligned
    EXPECT_EQ(std::memcmp(t->data, datas[i].data(), ts[i].bytes), 0) << ts[i].name;
  }
  EXPECT_TRUE(f->require_tensors().ok());
}

TEST(GgufRoundTrip, VocabOnlyFileLoadsButIsRefusedForInference) {
  Writer w;
  w.set_string("general.architecture", "llama");
  const std::string path = temp_path("vocab");
  ASSERT_TRUE(w.write(path).ok());
  auto f = File::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(f.ok()) << f.error();
  Status s = f->require_tensors();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("vocabulary-only file, cannot run inference"), std::string::npos);
}

TEST(GgufWriter, SettingAKeyAgainReplacesItsValue) {
  Writer w;
  w.set_string("lutra.convert.wtype", "f16");
  w.set_u32("a.count", 1);
  w.set_string("lutra.convert.wtype", "q2");  // e.g. a copied key set again by the converter
  const std::string path = temp_path("replace");
  ASSERT_TRUE(w.write(path).ok());
  auto f = File::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->keys(), (std::vector<std::string>{"lutra.convert.wtype", "a.count"}));
  EXPECT_EQ(*f->get_string("lutra.convert.wtype"), "q2");
}

// The alignment key always describes the layout: none at the default 32, added for any other,
// and a caller's key that disagrees is refused rather than written (a reader would place the
// data section elsewhere).
TEST(GgufWriter, AlignmentKeyMatchesTheLayout) {
  const float x[3] = {1, 2, 3};
  for (uint32_t a : {32u, 64u, 128u}) {
    Writer w(a);
    ASSERT_TRUE(w.add_tensor("a", TensorType::F32, {3}, x, sizeof x).ok());
    ASSERT_TRUE(w.add_tensor("b", TensorType::F32, {3}, x, sizeof x).ok());
    const std::string path = temp_path("align");
    ASSERT_TRUE(w.write(path).ok());
    auto f = File::open(path);
    std::remove(path.c_str());
    ASSERT_TRUE(f.ok()) << f.error();
    EXPECT_EQ(f->has("general.alignment"), a != 32) << a;
    EXPECT_EQ(f->alignment(), a);
    EXPECT_EQ(f->data_offset() % a, 0u);
    EXPECT_EQ(f->tensor("b")->offset, a);
  }
  Writer bad(32);
  bad.set_u32("general.alignment", 64);
  const std::string path = temp_path("badalign");
  Status s = bad.write(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("general.alignment"), std::string::npos) << s.error();
  EXPECT_FALSE(std::filesystem::exists(path));
}

// What lutra's reader refuses is not written: two tensors of one name pass add_tensor but the
// read-back check refuses the file, and neither the destination nor the temporary remains.
TEST(GgufWriter, FileTheReaderRefusesIsNotKept) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lutra_gguf_refused_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const float x[4] = {1, 2, 3, 4};
  Writer w;
  ASSERT_TRUE(w.add_tensor("t", TensorType::F32, {4}, x, sizeof x).ok());
  ASSERT_TRUE(w.add_tensor("t", TensorType::F32, {4}, x, sizeof x).ok());
  Status s = w.write((dir / "out.gguf").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("duplicate"), std::string::npos) << s.error();
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

// A streamed tensor's size includes a per-tensor tail (I2_S: the scale after the last block):
// the producer puts it after the blocks, in the same sink, and the bytes read back in order; a
// producer that stops after the blocks is refused and leaves no file.
TEST(GgufWriter, StreamedTensorEndsWithItsTail) {
  constexpr size_t kBlocks = 6;  // 256 × 3 weights, 128 per block
  std::vector<uint8_t> bytes(kBlocks * 32 + 32);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(i * 7 + 1);
  auto produce = [&](bool with_tail) {
    return [&bytes, with_tail](ByteSink& out) -> Status {
      for (size_t b = 0; b < kBlocks; b += 2) out.put(bytes.data() + 32 * b, 64);  // a row
      if (with_tail) out.put(bytes.data() + 32 * kBlocks, 32);
      return {};
    };
  };
  Writer w;
  ASSERT_TRUE(w.add_tensor_stream("i2_s", TensorType::I2_S, {256, 3}, produce(true)).ok());
  const std::string path = temp_path("stream");
  ASSERT_TRUE(w.write(path).ok());
  auto f = File::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(f.ok()) << f.error();
  const TensorInfo* t = f->tensor("i2_s");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->n_bytes, bytes.size());
  EXPECT_EQ(std::vector<uint8_t>(t->data, t->data + t->n_bytes), bytes);

  Writer short_tail;
  ASSERT_TRUE(
      short_tail.add_tensor_stream("i2_s", TensorType::I2_S, {256, 3}, produce(false)).ok());
  const std::string bad = temp_path("stream_notail");
  const Status s = short_tail.write(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("producer wrote 192 bytes, expected 224"), std::string::npos)
      << s.error();
  EXPECT_FALSE(std::filesystem::exists(bad));
}

std::string models_dir() {
  if (const char* e = std::getenv("LUTRA_MODELS_DIR"); e != nullptr && *e != '\0') return e;
  // Default: ../shared/models next to the source tree.
  return (std::filesystem::path(__FILE__).parent_path() / "../../../shared/models").string();
}

TEST(GgufRealFiles, Stories260KIsConsistent) {
  const std::string path = models_dir() + "/stories260K.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "model not found: " << path;
  auto f = File::open(path);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(*f->get_string("general.architecture"), "llama");
  auto dim = f->get_count("llama.embedding_length");
  ASSERT_TRUE(dim.ok()) << dim.error();
  auto layers = f->get_count("llama.block_count");
  ASSERT_TRUE(layers.ok()) << layers.error();
  auto tokens = f->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.error();
  const TensorInfo* emb = f->tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  ASSERT_EQ(emb->shape.size(), 2u);
  EXPECT_EQ(emb->shape[0], *dim);
  EXPECT_EQ(emb->shape[1], tokens->size());
  for (uint64_t l = 0; l < *layers; ++l) {
    const TensorInfo* q = f->tensor("blk." + std::to_string(l) + ".attn_q.weight");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->shape[0], *dim);
  }
  for (const TensorInfo& t : f->tensors()) EXPECT_EQ(t.type, TensorType::F32) << t.name;
  EXPECT_TRUE(f->require_tensors().ok());
}

TEST(GgufRealFiles, VocabFilesLoad) {
  const std::string path = models_dir() + "/vocab-llama-spm.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "model not found: " << path;
  auto f = File::open(path);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(*f->get_string("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(f->get_string_array("tokenizer.ggml.tokens")->size(), 32000u);
  EXPECT_EQ(f->get_f32_array("tokenizer.ggml.scores")->size(), 32000u);
  EXPECT_FALSE(f->require_tensors().ok());
  for (const char* name : {"vocab-gpt-2.gguf", "vocab-falcon.gguf", "vocab-phi-3.gguf",
                           "vocab-starcoder.gguf", "vocab-deepseek-coder.gguf"}) {
    auto g = File::open(models_dir() + "/" + name);
    EXPECT_TRUE(g.ok()) << g.error();
  }
}

}  // namespace
}  // namespace lutra::gguf
