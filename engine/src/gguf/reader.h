// GGUF (v2, v3) reader over a read-only mapping. Everything is validated while parsing, so a
// File that opened successfully only hands out in-bounds pointers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/gguf/mapped_file.h"
#include "engine/src/gguf/types.h"

namespace lutra::gguf {

constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kDefaultAlignment = 32;

struct Value {
  ValueType type = ValueType::U8;
  uint64_t bits = 0;     // integer/bool payload (sign-extended for signed types)
  double real = 0.0;     // f32/f64 payload
  std::string_view str;  // string payload
  // Arrays: element type, count, raw little-endian elements (numeric) or views (strings).
  ValueType elem_type = ValueType::U8;
  uint64_t count = 0;
  const uint8_t* raw = nullptr;
  std::vector<std::string_view> strings;
};

struct TensorInfo {
  std::string name;
  TensorType type = TensorType::F32;
  std::vector<uint64_t> shape;  // ggml order: shape[0] is the contiguous dimension
  uint64_t n_elements = 0;
  uint64_t offset = 0;  // relative to the data section
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;
};

class File {
 public:
  static Expected<File> open(const std::string& path,
                             MappedFile::Mode mode = MappedFile::Mode::kMap);
  // Parses bytes that stay owned by the caller (tests, in-memory files); `name` labels errors.
  static Expected<File> parse(const uint8_t* bytes, size_t size, std::string name);

  const std::string& path() const { return path_; }
  // True when the bytes are a file mapping (not read into memory, not caller-owned).
  bool mapped() const { return map_ != nullptr && map_->mapped(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }

  bool has(std::string_view key) const;
  const Value* find(std::string_view key) const;
  const std::vector<std::string>& keys() const { return keys_; }

  Expected<uint8_t> get_u8(std::string_view key) const;
  Expected<int8_t> get_i8(std::string_view key) const;
  Expected<uint16_t> get_u16(std::string_view key) const;
  Expected<int16_t> get_i16(std::string_view key) const;
  Expected<uint32_t> get_u32(std::string_view key) const;
  Expected<int32_t> get_i32(std::string_view key) const;
  Expected<uint64_t> get_u64(std::string_view key) const;
  Expected<int64_t> get_i64(std::string_view key) const;
  Expected<float> get_f32(std::string_view key) const;
  Expected<double> get_f64(std::string_view key) const;
  Expected<bool> get_bool(std::string_view key) const;
  Expected<std::string_view> get_string(std::string_view key) const;
  // Any integer type whose value is non-negative and fits: model hyperparameters are written
  // as u32 by some tools and i32/u64 by others.
  Expected<uint64_t> get_count(std::string_view key) const;

  Expected<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  Expected<std::vector<float>> get_f32_array(std::string_view key) const;
  Expected<std::vector<double>> get_f64_array(std::string_view key) const;
  Expected<std::vector<int64_t>> get_int_array(std::string_view key) const;  // any int type
  Expected<std::vector<bool>> get_bool_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(std::string_view name) const;
  // Refuses files that cannot drive inference (vocabulary-only files).
  Status require_tensors() const;

 private:
  Expected<const Value*> typed(std::string_view key, ValueType t) const;
  Expected<const Value*> array_of(std::string_view key) const;

  std::shared_ptr<MappedFile> map_;
  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<std::string> keys_;
  std::unordered_map<std::string, Value> kv_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;

  friend class Parser;
};

}  // namespace lutra::gguf
