// Files lutra writes, read back by a minimal GGUF reader written here from the GGUF
// specification (ggml's docs/gguf.md), not by lutra's reader, so other engines' readers can be
// expected to agree with it:
//   header: magic "GGUF", u32 version 3, u64 tensor count, u64 key count; keys: string key,
//   u32 value type, value (strings are u64 length + bytes, arrays u32 element type + u64
//   count + elements); tensor infos: name, u32 n_dims, u64 dims, u32 type, u64 offset; the data
//   section starts at the next multiple of the alignment (general.alignment, u32, default 32)
//   and every offset is a multiple of it.
// Every tensor type lutra writes (the converter's ggml and packed targets, the synthetic
// model's k-quants) is checked for placement, size (ggml types, from the block sizes in the
// spec) and, for the plain and simple block types, decoded by the spec's block layout and
// compared with the source's values. general.alignment must be absent unless packed tensors
// need 64.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/src/models/model.h"
#include "engine/src/synthetic/synthetic.h"
#include "lutra/lutra.h"

namespace lutra::testing {
namespace {

namespace fs = std::filesystem;

struct SpecTensor {
  std::string name;
  std::vector<uint64_t> dims;
  uint32_t type = 0;
  uint64_t offset = 0;
};

struct SpecFile {
  std::vector<uint8_t> bytes;
  std::map<std::string, uint64_t> u32_keys;  // u32 values (general.alignment among them)
  std::map<std::string, std::string> string_keys;
  std::vector<std::string> keys;
  std::vector<SpecTensor> tensors;
  uint64_t alignment = 32, data_start = 0;
};

// Sequential little-endian reads; any overrun sets `bad`.
class Cursor {
 public:
  explicit Cursor(const std::vector<uint8_t>& b) : b_(b) {}
  template <typename T>
  T get() {
    T v{};
    if (pos_ + sizeof(T) > b_.size()) {
      bad = true;
      return v;
    }
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str() {
    const uint64_t n = get<uint64_t>();
    if (bad || n > b_.size() - pos_) {
      bad = true;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  void skip(uint64_t n) {
    if (n > b_.size() - pos_) bad = true;
    if (!bad) pos_ += n;
  }
  uint64_t pos() const { return pos_; }
  bool bad = false;

 private:
  const std::vector<uint8_t>& b_;
  uint64_t pos_ = 0;
};

// Byte size of the spec's fixed-size value types (0..12); 0 for string (8) and array (9).
uint64_t ScalarSize(uint32_t t) {
  static const uint64_t size[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  return t < 13 ? size[t] : 0;
}

void SkipValue(Cursor& c, uint32_t type) {
  if (type == 8) {
    (void)c.str();
  } else if (type == 9) {
    const uint32_t elem = c.get<uint32_t>();
    const uint64_t n = c.get<uint64_t>();
    if (elem == 8) {
      for (uint64_t i = 0; i < n && !c.bad; ++i) (void)c.str();
    } else if (ScalarSize(elem) != 0 && n <= (uint64_t(1) << 40)) {
      c.skip(n * ScalarSize(elem));
    } else {
      c.bad = true;
    }
  } else if (ScalarSize(type) != 0) {
    c.skip(ScalarSize(type));
  } else {
    c.bad = true;
  }
}

std::optional<SpecFile> ReadSpec(const std::string& path) {
  SpecFile f;
  std::ifstream in(path, std::ios::binary);
  f.bytes.assign(std::istreambuf_iterator<char>(in), {});
  Cursor c(f.bytes);
  if (c.get<uint32_t>() != 0x46554747u || c.get<uint32_t>() != 3) return std::nullopt;
  const uint64_t n_tensors = c.get<uint64_t>(), n_kv = c.get<uint64_t>();
  for (uint64_t i = 0; i < n_kv && !c.bad; ++i) {
    std::string key = c.str();
    const uint32_t type = c.get<uint32_t>();
    if (type == 4) {
      f.u32_keys[key] = c.get<uint32_t>();
    } else if (type == 8) {
      f.string_keys[key] = c.str();
    } else {
      SkipValue(c, type);
    }
    f.keys.push_back(std::move(key));
  }
  for (uint64_t i = 0; i < n_tensors && !c.bad; ++i) {
    SpecTensor t;
    t.name = c.str();
    const uint32_t n_dims = c.get<uint32_t>();
    if (n_dims == 0 || n_dims > 4) return std::nullopt;
    for (uint32_t d = 0; d < n_dims; ++d) t.dims.push_back(c.get<uint64_t>());
    t.type = c.get<uint32_t>();
    t.offset = c.get<uint64_t>();
    f.tensors.push_back(std::move(t));
  }
  if (c.bad) return std::nullopt;
  if (auto a = f.u32_keys.find("general.alignment"); a != f.u32_keys.end()) f.alignment = a->second;
  f.data_start = (c.pos() + f.alignment - 1) / f.alignment * f.alignment;
  return f;
}

// The spec's block sizes (elements, bytes) of the ggml types lutra writes.
std::optional<std::pair<uint64_t, uint64_t>> Block(uint32_t type) {
  switch (type) {
    case 0:
      return std::pair<uint64_t, uint64_t>{1, 4};  // F32
    case 1:
      return std::pair<uint64_t, uint64_t>{1, 2};  // F16
    case 30:
      return std::pair<uint64_t, uint64_t>{1, 2};  // BF16
    case 8:
      return std::pair<uint64_t, uint64_t>{32, 34};  // Q8_0: fp16 d, 32 × int8
    case 2:
      return std::pair<uint64_t, uint64_t>{32, 18};  // Q4_0: fp16 d, 16 bytes of nibbles
    case 12:
      return std::pair<uint64_t, uint64_t>{256, 144};  // Q4_K
    case 14:
      return std::pair<uint64_t, uint64_t>{256, 210};  // Q6_K
    case 34:
      return std::pair<uint64_t, uint64_t>{256, 54};  // TQ1_0
    case 35:
      return std::pair<uint64_t, uint64_t>{256, 66};  // TQ2_0: 64 bytes of 2-bit, fp16 d
    default:
      return std::nullopt;
  }
}

// IEEE half and bfloat16 to float, by their bit fields.
float Half(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const float mag = e == 0 ? std::ldexp(float(m), -24) : std::ldexp(float(1024 + m), e - 25);
  return (h & 0x8000) ? -mag : mag;
}
float Bf16(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t U16(const uint8_t* p) {
  return uint16_t(p[0] | (p[1] << 8));
}

// Decodes n values of the types the spec makes simple; false for the others. `tol` gets the
// rounding bound of each value against a source that was encoded to it.
bool Decode(uint32_t type, const uint8_t* p, uint64_t n, std::vector<float>* out,
            std::vector<float>* tol) {
  out->resize(n);
  tol->resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    switch (type) {
      case 0: {
        std::memcpy(&(*out)[i], p + 4 * i, 4);
        (*tol)[i] = 0;
        break;
      }
      case 1:
        (*out)[i] = Half(U16(p + 2 * i));
        (*tol)[i] = std::fabs((*out)[i]) * 0x1p-11f + 0x1p-25f;
        break;
      case 30:
        (*out)[i] = Bf16(U16(p + 2 * i));
        (*tol)[i] = std::fabs((*out)[i]) * 0x1p-8f;
        break;
      case 8: {
        const uint8_t* b = p + i / 32 * 34;
        const float d = Half(U16(b));
        (*out)[i] = d * float(int8_t(b[2 + i % 32]));
        (*tol)[i] = std::fabs(d) * 0.5f + std::fabs(d) * 127 * 0x1p-11f;
        break;
      }
      case 2: {
        // Element j < 16 of a block is the low nibble of byte j, j ≥ 16 the high nibble of
        // byte j − 16; value d·(q − 8).
        const uint8_t* b = p + i / 32 * 18;
        const uint64_t j = i % 32;
        const int q = j < 16 ? (b[2 + j] & 15) : (b[2 + j - 16] >> 4);
        const float d = Half(U16(b));
        (*out)[i] = d * float(q - 8);
        (*tol)[i] = std::fabs(d) * (1.0f + 8 * 0x1p-11f);
        break;
      }
      case 35: {
        // 256 weights: 64 bytes of codes then fp16 d; weight 128·h + 32·l + m is bits 2l..2l+1
        // of byte 32·h + m; value d·(q − 1).
        const uint8_t* b = p + i / 256 * 66;
        const uint64_t j = i % 256, h = j / 128, l = j % 128 / 32, m = j % 32;
        const int q = (b[32 * h + m] >> (2 * l)) & 3;
        const float d = Half(U16(b + 64));
        (*out)[i] = d * float(q - 1);
        (*tol)[i] = std::fabs(d) * (0.5f + 0x1p-10f);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("lutra-spec-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& n) const { return (path_ / n).string(); }

 private:
  fs::path path_;
};

// Checks placement and returns the decoded ggml tensors by name.
void CheckLayout(const std::string& path, bool expect_packed,
                 std::map<std::string, std::vector<float>>* decoded = nullptr,
                 std::map<std::string, std::vector<float>>* bounds = nullptr) {
  SCOPED_TRACE(path);
  auto f = ReadSpec(path);
  ASSERT_TRUE(f.has_value()) << "not readable by the spec reader";
  bool any_packed = false;
  for (const SpecTensor& t : f->tensors) any_packed = any_packed || !Block(t.type).has_value();
  EXPECT_EQ(any_packed, expect_packed);
  // The key only where lutra-packed data needs more than GGUF's default.
  EXPECT_EQ(f->u32_keys.count("general.alignment"), any_packed ? 1u : 0u);
  EXPECT_EQ(f->alignment, any_packed ? 64u : 32u);
  std::map<std::string, int> seen;
  for (const std::string& k : f->keys) EXPECT_EQ(++seen[k], 1) << "duplicate key " << k;
  uint64_t end = 0;
  for (size_t i = 0; i < f->tensors.size(); ++i) {
    const SpecTensor& t = f->tensors[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.offset % f->alignment, 0u);
    EXPECT_GE(t.offset, end);  // in order, not overlapping the previous tensor
    const uint64_t next =
        i + 1 < f->tensors.size() ? f->tensors[i + 1].offset : f->bytes.size() - f->data_start;
    uint64_t n = 1;
    for (uint64_t d : t.dims) n *= d;
    const auto block = Block(t.type);
    if (!block) {
      end = next;  // lutra-packed: the spec does not size it; it fills the gap
      continue;
    }
    ASSERT_EQ(t.dims[0] % block->first, 0u);
    const uint64_t size = n / block->first * block->second;
    ASSERT_LE(t.offset + size, next) << "runs into the next tensor or past the end";
    // Padding is at most one alignment step (the last tensor ends the file exactly).
    EXPECT_LT(next - (t.offset + size), i + 1 < f->tensors.size() ? f->alignment : 1);
    end = t.offset + size;
    std::vector<float> v, tol;
    if (decoded && Decode(t.type, f->bytes.data() + f->data_start + t.offset, n, &v, &tol)) {
      (*decoded)[t.name] = std::move(v);
      (*bounds)[t.name] = std::move(tol);
    }
  }
}

TEST(GgufSpecLayout, EveryTypeLutraWritesReadsByTheSpec) {
  TempDir dir;
  auto cfg = engine::synthetic::SyntheticPreset("tiny");
  ASSERT_TRUE(cfg.ok());
  cfg->n_embd = 256;  // whole 256-weight blocks for the ternary and k-quant types
  cfg->n_ff = 512;
  cfg->n_head = 4;
  cfg->n_head_kv = 2;
  const std::string src = dir / "src.gguf";
  ASSERT_TRUE(engine::synthetic::WriteSyntheticLlama(*cfg, src).ok());
  std::map<std::string, std::vector<float>> source, unused;
  CheckLayout(src, false, &source, &unused);
  ASSERT_FALSE(source.empty());

  struct Case {
    const char* wtype;
    bool asym;
    float outliers;
    bool packed;
  };
  const Case cases[] = {
      {"f32", false, 0, false},   {"f16", false, 0, false},  {"bf16", false, 0, false},
      {"q8_0", false, 0, false},  {"q4_0", false, 0, false}, {"tq1_0", false, 0, false},
      {"tq2_0", false, 0, false}, {"q2", false, 0, true},    {"q4", true, 0, true},
      {"q3", false, 0.01f, true}, {"tq", false, 0, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.wtype);
    const std::string out = dir / (std::string(c.wtype) + ".gguf");
    lutra_convert_options o;
    lutra_convert_options_init(&o);
    o.wtype = c.wtype;
    o.method = "rtn";
    o.asymmetric = c.asym;
    o.outlier_fraction = c.outliers;
    o.threads = 2;
    ASSERT_EQ(lutra_convert(src.c_str(), out.c_str(), &o, nullptr), LUTRA_STATUS_OK)
        << lutra_last_error();
    std::map<std::string, std::vector<float>> got, tol;
    CheckLayout(out, c.packed, &got, &tol);
    size_t compared = 0;
    for (const auto& [name, v] : got) {
      const std::vector<float>& want = source.at(name);
      ASSERT_EQ(v.size(), want.size()) << name;
      size_t bad = 0;
      for (size_t i = 0; i < v.size(); ++i) bad += std::fabs(v[i] - want[i]) > tol[name][i];
      EXPECT_EQ(bad, 0u) << name << ": values off the source beyond the type's rounding";
      ++compared;
    }
    EXPECT_GT(compared, 0u);
    auto m = engine::models::Model::Load(out, {});
    EXPECT_TRUE(m.ok()) << m.error();
  }

  // The synthetic generator's own types (k-quants among them), written by lutra directly.
  for (gguf::TensorType t : {gguf::TensorType::Q4_K, gguf::TensorType::Q6_K,
                             gguf::TensorType::TQ2_0, gguf::TensorType::Q8_0}) {
    engine::synthetic::SyntheticLlama k = *cfg;
    k.weight_type = t;
    k.output_type = t;
    k.embd_type = gguf::TensorType::F16;
    const std::string path = dir / "synthetic.gguf";
    ASSERT_TRUE(engine::synthetic::WriteSyntheticLlama(k, path).ok());
    CheckLayout(path, false);
  }
}

}  // namespace
}  // namespace lutra::testing
