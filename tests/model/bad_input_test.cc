// Bad input end to end (docs/reliability.md): files cut short, changed on disk while mapped,
// with unknown tensor types or NaN/Inf weights; prompts and generation beyond the context;
// thread counts out of range; an ISA the CPU lacks; a memory limit during loading. Every case
// checks the exact error, and none may crash.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/src/formats/finite_check.h"
#include "engine/src/models/model.h"
#include "lutra/lutra.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LUTRA_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LUTRA_TEST_SANITIZED 1
#endif

namespace lutra::testing {
namespace {

using engine::models::Model;
using engine::models::ModelOptions;
using engine::models::Session;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

ModelOptions Opts(bool mmap = true, size_t context = 16) {
  ModelOptions o;
  o.threads = 1;
  o.context_length = context;
  o.use_mmap = mmap;
  return o;
}

std::string LoadError(const std::string& path, bool mmap) {
  auto m = Model::Load(path, Opts(mmap));
  return m.ok() ? std::string("(loaded)") : m.error();
}

std::string LoadError(const SynthLlama& c) {
  TempFile file("lutra-bad-input");
  if (Status s = WriteSynthLlama(c, file.path()); !s.ok()) return "writer: " + s.error();
  return LoadError(file.path(), true);
}

#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "error:    " << (haystack) << "\nexpected: " << (needle)

// Every prefix class of a file on disk, mapped and read: the reader validates the sizes
// against the file length before touching the bytes, so nothing reads past the end (which a
// mapping would answer with SIGBUS).
TEST(BadInput, TruncatedFileNamesWhatIsMissing) {
  TempFile full("lutra-trunc-full");
  ASSERT_TRUE(WriteSynthLlama(SynthLlama{}, full.path()).ok());
  const std::string bytes = ReadAll(full.path());
  ASSERT_GT(bytes.size(), 40000u);  // F32 weights: the data section is most of the file
  struct Cut {
    size_t size;
    std::string error;
  };
  const Cut cuts[] = {
      {0, "offset 0: truncated file: too short for the GGUF magic"},
      {3, "offset 0: truncated file: too short for the GGUF magic"},
      {6, "offset 4: truncated file: version missing"},
      {12, "offset 8: truncated file: tensor count missing"},
      {20, "offset 16: truncated file: key/value count missing"},
      {100, "offset 16: key/value count "},  // the counts are checked against the size left
      {bytes.size() / 2, "lies outside the data section of"},
      {bytes.size() - 1, "lies outside the data section of"},
  };
  TempFile cut("lutra-trunc-cut");
  for (const Cut& c : cuts) {
    WriteAll(cut.path(), bytes.substr(0, c.size));
    for (bool mmap : {true, false}) {
      SCOPED_TRACE("cut at " + std::to_string(c.size) + (mmap ? ", mapped" : ", read"));
      const std::string e = LoadError(cut.path(), mmap);
      EXPECT_CONTAINS(e, cut.path() + ": offset ");
      EXPECT_CONTAINS(e, c.error);
    }
  }
}

// The offset of tensor `name`'s type field in a file the writer made (name, n_dims, dims).
size_t TypeFieldOffset(const std::string& bytes, const std::string& name, size_t n_dims) {
  const size_t at = bytes.find(name);
  return at == std::string::npos ? at : at + name.size() + 4 + 8 * n_dims;
}

TEST(BadInput, UnknownAndUnloadableTensorTypes) {
  TempFile file("lutra-bad-type");
  ASSERT_TRUE(WriteSynthLlama(SynthLlama{}, file.path()).ok());
  std::string bytes = ReadAll(file.path());
  const size_t at = TypeFieldOffset(bytes, "blk.0.attn_k.weight", 2);
  ASSERT_NE(at, std::string::npos);
  uint32_t type;
  std::memcpy(&type, bytes.data() + at, 4);
  ASSERT_EQ(type, uint32_t(gguf::TensorType::F32));
  type = 99;
  std::memcpy(bytes.data() + at, &type, 4);
  WriteAll(file.path(), bytes);
  EXPECT_CONTAINS(
      LoadError(file.path(), true),
      ": offset " + std::to_string(at) + ": tensor 'blk.0.attn_k.weight': unknown tensor type 99");

  // A type GGUF knows but the runtime cannot run.
  SynthLlama c;
  c.omit = {"blk.0.attn_k.weight"};
  c.extra = [](gguf::Writer& w) {
    std::vector<int8_t> v(64 * 32, 1);
    (void)w.add_tensor("blk.0.attn_k.weight", gguf::TensorType::I8, {64, 32}, v.data(), v.size());
  };
  EXPECT_CONTAINS(LoadError(c),
                  "model: tensor blk.0.attn_k.weight has type I8, which the runtime cannot load");
}

// Replaces tensor `name` ({cols, rows}, or {cols} when rows is 0) of the synthetic model.
SynthLlama WithTensor(const std::string& name, gguf::TensorType type, size_t cols, size_t rows,
                      std::vector<uint8_t> data) {
  SynthLlama c;
  c.omit = {name};
  c.extra = [=](gguf::Writer& w) {
    const std::vector<uint64_t> shape =
        rows ? std::vector<uint64_t>{cols, rows} : std::vector<uint64_t>{cols};
    (void)w.add_tensor(name, type, shape, data.data(), data.size());
  };
  return c;
}

std::vector<uint8_t> F32Bytes(size_t n, size_t bad_at, float bad) {
  std::vector<float> v(n, 0.25f);
  v[bad_at] = bad;
  std::vector<uint8_t> b(n * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(BadInput, NonFiniteWeightsAreRefusedAtLoad) {
  const float nan = std::nanf(""), inf = INFINITY;
  EXPECT_CONTAINS(
      LoadError(WithTensor("blk.1.attn_k.weight", gguf::TensorType::F32, 64, 32,
                           F32Bytes(64 * 32, 77, nan))),
      "model: tensor blk.1.attn_k.weight has a non-finite value: element 77 is NaN (files "
      "with NaN or Inf weights are refused)");
  // Vectors (norms) and tables (the embedding) are checked too.
  EXPECT_CONTAINS(LoadError(WithTensor("output_norm.weight", gguf::TensorType::F32, 64, 0,
                                       F32Bytes(64, 3, inf))),
                  "model: tensor output_norm.weight has a non-finite value: element 3 is +Inf");
  EXPECT_CONTAINS(LoadError(WithTensor("token_embd.weight", gguf::TensorType::F32, 64, 120,
                                       F32Bytes(64 * 120, 64 * 119 + 63, -inf))),
                  "model: tensor token_embd.weight has a non-finite value: element 7679 is -Inf");
  std::vector<uint8_t> f16(64 * 32 * 2);
  for (size_t i = 0; i < f16.size(); i += 2) f16[i + 1] = 0x38;  // 0.5
  f16[2 * 5] = 0x00, f16[2 * 5 + 1] = 0xfc;                      // element 5: -Inf
  EXPECT_CONTAINS(LoadError(WithTensor("blk.0.attn_v.weight", gguf::TensorType::F16, 64, 32, f16)),
                  "model: tensor blk.0.attn_v.weight has a non-finite value: element 5 is -Inf");
  // Quantized: the codes are integers; the fp16 block scale is what can be non-finite.
  std::vector<uint8_t> q8(64 * 32 / 32 * 34, 1);
  for (size_t b = 0; b < q8.size() / 34; ++b) q8[34 * b] = 0x00, q8[34 * b + 1] = 0x3c;
  q8[34 * 7] = 0x00, q8[34 * 7 + 1] = 0x7c;  // block 7: +Inf
  EXPECT_CONTAINS(
      LoadError(WithTensor("blk.0.attn_k.weight", gguf::TensorType::Q8_0, 64, 32, q8)),
      "model: tensor blk.0.attn_k.weight has a non-finite value: block 7 (weights 224..255) "
      "has scale +Inf");
}

// FindNonFinite on every loadable type, independently of the model builders.
TEST(BadInput, FindNonFiniteCoversEveryLoadableType) {
  struct Case {
    gguf::TensorType type;
    size_t block_weights, block_bytes, scale_at;  // scale_at: offset of the fp16 scale
  };
  using T = gguf::TensorType;
  const Case cases[] = {
      {T::Q8_0, 32, 34, 0}, {T::Q4_0, 32, 18, 0}, {T::TQ1_0, 256, 54, 52}, {T::TQ2_0, 256, 66, 64}};
  for (const Case& k : cases) {
    const size_t blocks = 3000;  // more than one scan chunk
    std::vector<uint8_t> bytes(blocks * k.block_bytes, 0x11);
    for (size_t b = 0; b < blocks; ++b) {
      bytes[b * k.block_bytes + k.scale_at] = 0x00;
      bytes[b * k.block_bytes + k.scale_at + 1] = 0x3c;  // 1.0
    }
    gguf::TensorInfo t;
    t.name = "w";
    t.type = k.type;
    t.shape = {k.block_weights * blocks};
    t.n_elements = k.block_weights * blocks;
    t.n_bytes = bytes.size();
    t.data = bytes.data();
    EXPECT_FALSE(engine::formats::FindNonFinite(t).has_value()) << int(k.type);
    bytes[2100 * k.block_bytes + k.scale_at + 1] = 0x7e;  // NaN scale in block 2100
    const auto bad = engine::formats::FindNonFinite(t);
    ASSERT_TRUE(bad.has_value()) << int(k.type);
    EXPECT_EQ(*bad, "block 2100 (weights " + std::to_string(2100 * k.block_weights) + ".." +
                        std::to_string(2101 * k.block_weights - 1) + ") has scale NaN");
  }
  // Plain types: the exponent field all ones is Inf (mantissa 0) or NaN.
  struct Plain {
    T type;
    size_t size;
    uint32_t inf_bits;
  };
  for (const Plain& p :
       {Plain{T::F32, 4, 0x7f800000u}, Plain{T::F16, 2, 0x7c00u}, Plain{T::BF16, 2, 0x7f80u}}) {
    const size_t n = 5000;
    std::vector<uint8_t> bytes(n * p.size, 0);
    gguf::TensorInfo t;
    t.type = p.type;
    t.shape = {n};
    t.n_elements = n;
    t.n_bytes = bytes.size();
    t.data = bytes.data();
    EXPECT_FALSE(engine::formats::FindNonFinite(t).has_value());
    const uint32_t neg_inf = p.inf_bits | (p.size == 4 ? 0x80000000u : 0x8000u);
    std::memcpy(bytes.data() + 4321 * p.size, &neg_inf, p.size);
    EXPECT_EQ(engine::formats::FindNonFinite(t).value_or(""), "element 4321 is -Inf");
    const uint32_t nan = p.inf_bits | 1;
    std::memcpy(bytes.data() + 1234 * p.size, &nan, p.size);
    EXPECT_EQ(engine::formats::FindNonFinite(t).value_or(""), "element 1234 is NaN");
  }
}

std::vector<float> Logits(Session& s, const std::vector<int32_t>& tokens) {
  s.Reset();
  auto out = s.Prefill(tokens);
  EXPECT_TRUE(out.ok()) << out.error();
  return out.ok() ? std::vector<float>(out->begin(), out->end()) : std::vector<float>{};
}

// The documented behaviour (docs/reliability.md): a mapped model keeps the file it opened.
// Replacing the file (write a new one, rename it over the old: what installers and
// lutra_write_synthetic_model do) changes nothing for a loaded model. A model read into
// memory (use_mmap = 0) does not depend on the file at all, even when it is cut short.
TEST(BadInput, FileChangedOnDiskWhileLoaded) {
  TempFile path("lutra-changed"), other("lutra-changed-other");
  SynthLlama a, b;
  b.seed = 2;
  ASSERT_TRUE(WriteSynthLlama(a, path.path()).ok());
  const std::vector<int32_t> prompt = {1, 5, 9};
  for (bool mmap : {true, false}) {
    SCOPED_TRACE(mmap ? "mapped" : "read");
    ASSERT_TRUE(WriteSynthLlama(a, path.path()).ok());
    auto m = Model::Load(path.path(), Opts(mmap));
    ASSERT_TRUE(m.ok()) << m.error();
    auto s = Session::Create(**m);
    ASSERT_TRUE(s.ok()) << s.error();
    const std::vector<float> before = Logits(**s, prompt);
    ASSERT_TRUE(WriteSynthLlama(b, other.path()).ok());
    std::filesystem::rename(other.path(), path.path());
    EXPECT_EQ(Logits(**s, prompt), before) << "replaced by rename";
    if (!mmap) {
      ASSERT_EQ(::truncate(path.path().c_str(), 0), 0);
      EXPECT_EQ(Logits(**s, prompt), before) << "truncated";
    }
  }
}

// --- Through the C API ----------------------------------------------------------------------

struct CModel {
  lutra_model* m = nullptr;
  ~CModel() { lutra_model_free(m); }
};
struct CSession {
  lutra_session* s = nullptr;
  ~CSession() { lutra_session_free(s); }
};

std::string WriteTiny(const TempFile& f) {
  lutra_synthetic_options so;
  lutra_synthetic_options_init(&so);
  return lutra_write_synthetic_model(f.path().c_str(), &so) == LUTRA_STATUS_OK ? ""
                                                                               : lutra_last_error();
}

TEST(BadInput, ThreadCounts) {
  TempFile file("lutra-threads");
  ASSERT_EQ(WriteTiny(file), "");
  lutra_model_options o;
  lutra_model_options_init(&o);
  {
    o.threads = 0;  // automatic: the performance cores
    CModel m;
    ASSERT_EQ(lutra_model_load(file.path().c_str(), &o, &m.m), LUTRA_STATUS_OK)
        << lutra_last_error();
    lutra_model_info info;
    lutra_model_info_init(&info);
    ASSERT_EQ(lutra_model_get_info(m.m, &info), LUTRA_STATUS_OK);
    EXPECT_GE(info.threads, 1u);
    EXPECT_LE(info.threads, 1024u);
  }
  // uint32_t(-1): what a C caller passing -1 produces.
  for (uint32_t t : {uint32_t(-1), 1025u, 1u << 31}) {
    o.threads = t;
    CModel m;
    EXPECT_EQ(lutra_model_load(file.path().c_str(), &o, &m.m), LUTRA_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(m.m, nullptr);
    EXPECT_EQ(std::string(lutra_last_error()), "lutra_model_load: threads " + std::to_string(t) +
                                                   " is out of range (0 = automatic, 1..1024)");
  }
}

TEST(BadInput, PromptAndGenerationBeyondTheContext) {
  TempFile file("lutra-context");
  ASSERT_EQ(WriteTiny(file), "");
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.threads = 1;
  o.context_length = 8;
  CModel m;
  ASSERT_EQ(lutra_model_load(file.path().c_str(), &o, &m.m), LUTRA_STATUS_OK) << lutra_last_error();
  CSession s;
  ASSERT_EQ(lutra_session_create(m.m, &s.s), LUTRA_STATUS_OK) << lutra_last_error();
  const std::vector<int32_t> nine(9, 3);
  EXPECT_EQ(lutra_session_prefill(s.s, nine.data(), nine.size(), nullptr, nullptr),
            LUTRA_STATUS_CONTEXT_FULL);
  EXPECT_EQ(std::string(lutra_last_error()),
            "lutra_session_prefill: 9 tokens do not fit: the context holds 0 of 8 positions "
            "(reset the session, or load with a larger context_length)");
  lutra_generate_options g;
  lutra_generate_options_init(&g);
  g.stop_at_eos = 0;
  lutra_generate_stats st{};
  st.struct_size = sizeof st;
  // A prompt longer than the context: nothing appended.
  EXPECT_EQ(lutra_generate(s.s, nine.data(), nine.size(), &g, nullptr, nullptr, &st),
            LUTRA_STATUS_CONTEXT_FULL);
  EXPECT_NE(std::string(lutra_last_error()).find("9 tokens do not fit"), std::string::npos)
      << lutra_last_error();
  // -n beyond the context: generation stops when the context is full.
  g.max_tokens = 1000;
  ASSERT_EQ(lutra_generate(s.s, nine.data(), 3, &g, nullptr, nullptr, &st), LUTRA_STATUS_OK)
      << lutra_last_error();
  EXPECT_EQ(st.stop_reason, LUTRA_STOP_CONTEXT_FULL);
  EXPECT_EQ(st.prompt_tokens, 3u);
  EXPECT_EQ(st.generated_tokens, 5u);  // 3 + 5 = the 8 positions
  const int32_t one = 3;
  EXPECT_EQ(lutra_session_decode(s.s, one, nullptr, nullptr), LUTRA_STATUS_CONTEXT_FULL);
  // Named as the call that was made, not as the prefill it shares its checks with.
  EXPECT_EQ(std::string(lutra_last_error()).rfind("lutra_session_decode: 1 tokens do not fit", 0),
            0u)
      << lutra_last_error();
  EXPECT_EQ(lutra_session_decode(s.s, 1 << 30, nullptr, nullptr), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(lutra_last_error()).rfind("lutra_session_decode: token ", 0), 0u)
      << lutra_last_error();
}

// Invalid UTF-8 is text like any other: byte-fallback (SentencePiece) and byte-level (BPE)
// vocabularies encode every byte and decode back to the same bytes.
TEST(BadInput, InvalidUtf8Prompt) {
  const std::string text = "ok \xff\xfe \xc3( \xe2\x82 \xf0\x9f\x98 \xed\xa0\x80 end";
  int tested = 0;
  for (const char* v : {"vocab-llama-spm", "vocab-gpt-2"}) {
    const std::string path = ModelsDir() + "/" + v + ".gguf";
    if (!std::filesystem::exists(path)) continue;
    lutra_model_options o;
    lutra_model_options_init(&o);
    o.vocab_only = 1;
    CModel m;
    ASSERT_EQ(lutra_model_load(path.c_str(), &o, &m.m), LUTRA_STATUS_OK) << lutra_last_error();
    std::vector<int32_t> ids(256);
    size_t n = 0;
    ASSERT_EQ(lutra_tokenize(m.m, text.data(), text.size(), 0, 0, ids.data(), ids.size(), &n),
              LUTRA_STATUS_OK)
        << v << ": " << lutra_last_error();
    std::string back(1024, '\0');
    size_t len = 0;
    ASSERT_EQ(lutra_detokenize(m.m, ids.data(), n, back.data(), back.size(), &len), LUTRA_STATUS_OK)
        << lutra_last_error();
    back.resize(len);
    // SentencePiece adds (and drops) a leading space; the bytes themselves round-trip.
    EXPECT_EQ(back.substr(back.size() - text.size()), text) << v;
    ++tested;
  }
  if (tested == 0) GTEST_SKIP() << "no vocabulary files in " << ModelsDir();
}

// An ISA the CPU lacks, named through the options (ISA_UNAVAILABLE) and through LUTRA_ISA
// (read once per process: checked in a child process started with it set).
const char* MissingIsa() {
#if defined(__x86_64__) || defined(__i386__)
  return "neon";
#else
  return "avx2";
#endif
}

TEST(BadInput, IsaTheCpuLacks) {
  TempFile file("lutra-isa");
  ASSERT_EQ(WriteTiny(file), "");
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.isa = MissingIsa();
  CModel m;
  EXPECT_EQ(lutra_model_load(file.path().c_str(), &o, &m.m), LUTRA_STATUS_ISA_UNAVAILABLE);
  // Named as the option it came from, not as LUTRA_ISA (which is unset here).
  const std::string want = std::string("model: ISA cap: isa=") + MissingIsa() + " needs ";
  EXPECT_CONTAINS(lutra_last_error(), want);
  EXPECT_CONTAINS(lutra_last_error(), ", which this CPU does not support (it has: ");
  o.isa = "avx9000";
  EXPECT_EQ(lutra_model_load(file.path().c_str(), &o, &m.m), LUTRA_STATUS_ISA_UNAVAILABLE);
  EXPECT_CONTAINS(lutra_last_error(), "isa=avx9000 is not a known ISA level (known: ");
  EXPECT_EQ(std::string(lutra_last_error()).find("LUTRA_ISA"), std::string::npos);

  // The environment variable: run this test's child half in a new process.
  if (const char* child = std::getenv("LUTRA_BAD_ISA_CHILD"); child != nullptr) return;
  // Under qemu-user the process image is qemu, so the child goes through the same emulator
  // command line ctest used (LUTRA_TEST_EMULATOR); readlink of /proc/self/exe names the guest.
  char exe[4096];
  const ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(exe_len, 0);
  exe[exe_len] = '\0';
  const char* emulator = std::getenv("LUTRA_TEST_EMULATOR");
  // The child runs one named case: a shard index inherited from ctest could filter it out.
  const std::string cmd =
      "env -u GTEST_TOTAL_SHARDS -u GTEST_SHARD_INDEX LUTRA_BAD_ISA_CHILD=1 "
      "LUTRA_ISA=" +
      std::string(MissingIsa()) + " " +
      (emulator != nullptr ? std::string(emulator) + " " : std::string()) + "'" + exe +
      "' --gtest_filter=BadInput.IsaFromEnvironmentChild 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_CONTAINS(out, "[  PASSED  ] 1 test");
}

TEST(BadInput, IsaFromEnvironmentChild) {
  if (std::getenv("LUTRA_BAD_ISA_CHILD") == nullptr) GTEST_SKIP() << "run by IsaTheCpuLacks";
  TempFile file("lutra-isa-child");
  ASSERT_EQ(WriteTiny(file), "");
  CModel m;
  EXPECT_EQ(lutra_model_load(file.path().c_str(), nullptr, &m.m), LUTRA_STATUS_ISA_UNAVAILABLE);
  EXPECT_CONTAINS(lutra_last_error(),
                  std::string("model: ISA cap: LUTRA_ISA=") + MissingIsa() + " needs ");
}

// Out of memory at load: a child process limits its address space (RLIMIT_AS) and loads; the
// load (and a session and one decode step after it) must succeed or return OUT_OF_MEMORY,
// never abort. Sanitizer runtimes reserve terabytes of shadow memory: not under them.
#ifndef LUTRA_TEST_SANITIZED
size_t AddressSpaceBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  statm >> pages;
  return pages * size_t(sysconf(_SC_PAGESIZE));
}

// Runs in the child: 0 loaded and decoded, 3 out of memory (message checked), 4 other error.
int LoadUnderLimit(const std::string& path, size_t extra_bytes, bool mmap) {
  const rlim_t limit = AddressSpaceBytes() + extra_bytes;
  const struct rlimit rl = {limit, limit};
  if (setrlimit(RLIMIT_AS, &rl) != 0) return 5;
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.threads = 2;
  o.use_mmap = mmap;
  o.context_length = 64;
  lutra_model* m = nullptr;
  lutra_status s = lutra_model_load(path.c_str(), &o, &m);
  if (s == LUTRA_STATUS_OK) {
    lutra_session* session = nullptr;
    s = lutra_session_create(m, &session);
    if (s == LUTRA_STATUS_OK) {
      const int32_t t = 1;
      s = lutra_session_decode(session, t, nullptr, nullptr);
      lutra_session_free(session);
    }
    lutra_model_free(m);
  }
  if (s == LUTRA_STATUS_OK) return 0;
  const std::string e = lutra_last_error();
  if (s == LUTRA_STATUS_OUT_OF_MEMORY && (e.find("out of memory") != std::string::npos ||
                                          e.find("cannot allocate") != std::string::npos)) {
    return 3;
  }
  std::fprintf(stderr, "status %d: %s\n", int(s), e.c_str());
  return 4;
}

#endif  // LUTRA_TEST_SANITIZED

TEST(BadInput, OutOfMemoryAtLoadIsAnError) {
#ifdef LUTRA_TEST_SANITIZED
  GTEST_SKIP() << "RLIMIT_AS cannot be combined with a sanitizer's shadow memory";
#else
  // qemu-user runs the guest inside its own large address-space reservation: the limit
  // applies to qemu, not to the guest's allocations, so the sweep cannot cross the boundary.
  if (const char* e = std::getenv("LUTRA_TEST_EMULATED"); e != nullptr && *e == '1') {
    GTEST_SKIP() << "RLIMIT_AS does not bound a guest's memory under qemu-user (native only)";
  }
  TempFile file("lutra-oom");
  SynthLlama c;
  c.dim = 256;
  c.ff = 512;
  c.heads = 8;
  c.kv_heads = 4;
  ASSERT_TRUE(WriteSynthLlama(c, file.path()).ok());
  const size_t file_bytes = std::filesystem::file_size(file.path());
  int ok = 0, oom = 0;
  for (bool mmap : {false, true}) {
    for (size_t extra = file_bytes / 8; extra < 64 * file_bytes; extra *= 2) {
      SCOPED_TRACE(std::string(mmap ? "mapped" : "read") + ", " + std::to_string(extra) +
                   " bytes of address space");
      std::fflush(nullptr);
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        alarm(120);  // a hang (e.g. waiting for a thread that could not start) fails, too
        _exit(LoadUnderLimit(file.path(), extra, mmap));
      }
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
      const int code = WEXITSTATUS(status);
      ASSERT_TRUE(code == 0 || code == 3) << "child exit code " << code;
      (code == 0 ? ok : oom)++;
    }
  }
  // The sweep must cross the boundary: some limits too small, some enough.
  EXPECT_GT(oom, 0);
  EXPECT_GT(ok, 0);
#endif
}

}  // namespace
}  // namespace lutra::testing
