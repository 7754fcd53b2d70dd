// Typed metadata access and tensor lookup for a parsed GGUF file.
#include <cstring>
#include <limits>
#include <string>

#include "engine/src/gguf/reader.h"

namespace lutra::gguf {

namespace {

bool is_signed(ValueType t) {
  return t == ValueType::I8 || t == ValueType::I16 || t == ValueType::I32 || t == ValueType::I64;
}
bool is_integer(ValueType t) {
  return is_signed(t) || t == ValueType::U8 || t == ValueType::U16 || t == ValueType::U32 ||
         t == ValueType::U64;
}

int64_t int_element(const uint8_t* raw, ValueType t, uint64_t i) {
  switch (t) {
    case ValueType::U8:
      return raw[i];
    case ValueType::I8:
      return static_cast<int8_t>(raw[i]);
    case ValueType::U16: {
      uint16_t x;
      std::memcpy(&x, raw + 2 * i, 2);
      return x;
    }
    case ValueType::I16: {
      int16_t x;
      std::memcpy(&x, raw + 2 * i, 2);
      return x;
    }
    case ValueType::U32: {
      uint32_t x;
      std::memcpy(&x, raw + 4 * i, 4);
      return x;
    }
    case ValueType::I32: {
      int32_t x;
      std::memcpy(&x, raw + 4 * i, 4);
      return x;
    }
    default: {
      int64_t x;
      std::memcpy(&x, raw + 8 * i, 8);
      return x;
    }
  }
}

}  // namespace

bool File::has(std::string_view key) const {
  return find(key) != nullptr;
}

const Value* File::find(std::string_view key) const {
  auto it = kv_.find(std::string(key));
  return it == kv_.end() ? nullptr : &it->second;
}

Expected<const Value*> File::typed(std::string_view key, ValueType t) const {
  const Value* v = find(key);
  if (v == nullptr) return InvalidModel(path_ + ": key '" + std::string(key) + "' not found");
  if (v->type != t) {
    return InvalidModel(path_ + ": key '" + std::string(key) + "' has type " +
                        std::string(value_type_name(v->type)) + ", expected " +
                        std::string(value_type_name(t)));
  }
  return v;
}

Expected<const Value*> File::array_of(std::string_view key) const {
  return typed(key, ValueType::Array);
}

#define LUTRA_GGUF_GETTER(fn, T, VT)                 \
  Expected<T> File::fn(std::string_view key) const { \
    auto v = typed(key, ValueType::VT);              \
    if (!v) return v.failure();                      \
    return static_cast<T>((*v)->bits);               \
  }
LUTRA_GGUF_GETTER(get_u8, uint8_t, U8)
LUTRA_GGUF_GETTER(get_i8, int8_t, I8)
LUTRA_GGUF_GETTER(get_u16, uint16_t, U16)
LUTRA_GGUF_GETTER(get_i16, int16_t, I16)
LUTRA_GGUF_GETTER(get_u32, uint32_t, U32)
LUTRA_GGUF_GETTER(get_i32, int32_t, I32)
LUTRA_GGUF_GETTER(get_u64, uint64_t, U64)
LUTRA_GGUF_GETTER(get_i64, int64_t, I64)
LUTRA_GGUF_GETTER(get_bool, bool, Bool)
#undef LUTRA_GGUF_GETTER

Expected<float> File::get_f32(std::string_view key) const {
  auto v = typed(key, ValueType::F32);
  if (!v) return v.failure();
  return static_cast<float>((*v)->real);
}

Expected<double> File::get_f64(std::string_view key) const {
  auto v = typed(key, ValueType::F64);
  if (!v) return v.failure();
  return (*v)->real;
}

Expected<std::string_view> File::get_string(std::string_view key) const {
  auto v = typed(key, ValueType::String);
  if (!v) return v.failure();
  return (*v)->str;
}

Expected<uint64_t> File::get_count(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return InvalidModel(path_ + ": key '" + std::string(key) + "' not found");
  if (!is_integer(v->type)) {
    return InvalidModel(path_ + ": key '" + std::string(key) + "' has type " +
                        std::string(value_type_name(v->type)) + ", expected an integer");
  }
  if (is_signed(v->type) && static_cast<int64_t>(v->bits) < 0) {
    return InvalidModel(path_ + ": key '" + std::string(key) + "' is negative (" +
                        std::to_string(static_cast<int64_t>(v->bits)) + ")");
  }
  return v->bits;
}

namespace {
Error elem_mismatch(const std::string& path, std::string_view key, ValueType got,
                    const char* want) {
  return InvalidModel(path + ": key '" + std::string(key) + "' is an array of " +
                      std::string(value_type_name(got)) + ", expected an array of " + want);
}
}  // namespace

Expected<std::vector<std::string_view>> File::get_string_array(std::string_view key) const {
  auto v = array_of(key);
  if (!v) return v.failure();
  if ((*v)->elem_type != ValueType::String)
    return elem_mismatch(path_, key, (*v)->elem_type, "string");
  return (*v)->strings;
}

Expected<std::vector<float>> File::get_f32_array(std::string_view key) const {
  auto v = array_of(key);
  if (!v) return v.failure();
  if ((*v)->elem_type != ValueType::F32) return elem_mismatch(path_, key, (*v)->elem_type, "f32");
  std::vector<float> out((*v)->count);
  if (!out.empty()) std::memcpy(out.data(), (*v)->raw, out.size() * sizeof(float));
  return out;
}

Expected<std::vector<double>> File::get_f64_array(std::string_view key) const {
  auto v = array_of(key);
  if (!v) return v.failure();
  if ((*v)->elem_type != ValueType::F64) return elem_mismatch(path_, key, (*v)->elem_type, "f64");
  std::vector<double> out((*v)->count);
  if (!out.empty()) std::memcpy(out.data(), (*v)->raw, out.size() * sizeof(double));
  return out;
}

Expected<std::vector<int64_t>> File::get_int_array(std::string_view key) const {
  auto v = array_of(key);
  if (!v) return v.failure();
  if (!is_integer((*v)->elem_type)) return elem_mismatch(path_, key, (*v)->elem_type, "integers");
  std::vector<int64_t> out((*v)->count);
  for (uint64_t i = 0; i < out.size(); ++i) out[i] = int_element((*v)->raw, (*v)->elem_type, i);
  return out;
}

Expected<std::vector<bool>> File::get_bool_array(std::string_view key) const {
  auto v = array_of(key);
  if (!v) return v.failure();
  if ((*v)->elem_type != ValueType::Bool) return elem_mismatch(path_, key, (*v)->elem_type, "bool");
  std::vector<bool> out((*v)->count);
  for (uint64_t i = 0; i < out.size(); ++i) out[i] = (*v)->raw[i] != 0;
  return out;
}

const TensorInfo* File::tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Status File::require_tensors() const {
  if (tensors_.empty()) {
    return InvalidModel(path_ + " has no tensors: vocabulary-only file, cannot run inference");
  }
  return {};
}

}  // namespace lutra::gguf
