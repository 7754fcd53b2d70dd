// GGUF parsing and validation: header, key/value section, tensor table, data section layout.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "engine/src/gguf/lutra_types.h"
#include "engine/src/gguf/reader.h"

namespace lutra::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747;   // "GGUF" read as little-endian u32
constexpr uint32_t kMaxArrayNesting = 1;  // arrays of arrays are not used by any known writer

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

class Parser {
 public:
  Parser(const uint8_t* p, size_t n, std::string name) : p_(p), n_(n), name_(std::move(name)) {}

  Error fail(uint64_t at, const std::string& what) const {
    return InvalidModel(name_ + ": offset " + std::to_string(at) + ": " + what);
  }

  bool need(uint64_t bytes) const { return bytes <= n_ - pos_; }

  template <typename T>
  bool read(T* out) {
    if (!need(sizeof(T))) return false;
    std::memcpy(out, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }

  // Reads a length-prefixed string; `what` names it for errors.
  Expected<std::string_view> read_string(const std::string& what) {
    const uint64_t at = pos_;
    uint64_t len = 0;
    if (!read(&len)) return fail(at, "truncated file: length of " + what + " missing");
    if (!need(len)) {
      return fail(at, what + " length " + std::to_string(len) + " exceeds the " +
                          std::to_string(n_ - pos_) + " bytes left in the file");
    }
    std::string_view s(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return s;
  }

  Status read_value(uint32_t type, Value* v, const std::string& key, uint32_t depth) {
    const uint64_t at = pos_;
    if (type > static_cast<uint32_t>(ValueType::F64)) {
      return fail(at, "key '" + key + "': unknown value type " + std::to_string(type));
    }
    v->type = static_cast<ValueType>(type);
    const uint32_t size = value_type_size(type);
    if (size > 0) {
      if (!need(size)) return fail(at, "truncated file: value of key '" + key + "' missing");
      const uint8_t* q = p_ + pos_;
      pos_ += size;
      switch (v->type) {
        case ValueType::U8:
          v->bits = q[0];
          break;
        case ValueType::I8:
          v->bits = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(q[0])));
          break;
        case ValueType::Bool:
          if (q[0] > 1)
            return fail(at,
                        "key '" + key + "': bool value " + std::to_string(q[0]) + " is not 0 or 1");
          v->bits = q[0];
          break;
        case ValueType::U16: {
          uint16_t x;
          std::memcpy(&x, q, 2);
          v->bits = x;
          break;
        }
        case ValueType::I16: {
          int16_t x;
          std::memcpy(&x, q, 2);
          v->bits = static_cast<uint64_t>(static_cast<int64_t>(x));
          break;
        }
        case ValueType::U32: {
          uint32_t x;
          std::memcpy(&x, q, 4);
          v->bits = x;
          break;
        }
        case ValueType::I32: {
          int32_t x;
          std::memcpy(&x, q, 4);
          v->bits = static_cast<uint64_t>(static_cast<int64_t>(x));
          break;
        }
        case ValueType::U64:
        case ValueType::I64:
          std::memcpy(&v->bits, q, 8);
          break;
        case ValueType::F32: {
          float x;
          std::memcpy(&x, q, 4);
          v->real = x;
          break;
        }
        case ValueType::F64:
          std::memcpy(&v->real, q, 8);
          break;
        default:
          break;
      }
      return {};
    }
    if (v->type == ValueType::String) {
      auto s = read_string("string value of key '" + key + "'");
      if (!s) return s.failure();
      v->str = *s;
      return {};
    }
    // Array.
    uint32_t et = 0;
    if (!read(&et)) return fail(at, "truncated file: array type of key '" + key + "' missing");
    uint64_t count = 0;
    if (!read(&count))
      return fail(pos_, "truncated file: array length of key '" + key + "' missing");
    if (et == static_cast<uint32_t>(ValueType::Array) ||
        et > static_cast<uint32_t>(ValueType::F64)) {
      if (et == static_cast<uint32_t>(ValueType::Array) && depth < kMaxArrayNesting) {
        return fail(at, "key '" + key + "': nested arrays are not supported");
      }
      return fail(at, "key '" + key + "': unknown array element type " + std::to_string(et));
    }
    v->elem_type = static_cast<ValueType>(et);
    v->count = count;
    const uint32_t es = value_type_size(et);
    if (es > 0) {
      // Divide rather than multiply so a count near 2^64 cannot wrap.
      if (count > (n_ - pos_) / es) {
        return fail(at, "key '" + key + "': array length " + std::to_string(count) + " of " +
                            std::string(value_type_name(v->elem_type)) + " exceeds the " +
                            std::to_string(n_ - pos_) + " bytes left in the file");
      }
      v->raw = p_ + pos_;
      if (et == static_cast<uint32_t>(ValueType::Bool)) {
        for (uint64_t i = 0; i < count; ++i) {
          if (v->raw[i] > 1)
            return fail(pos_ + i,
                        "key '" + key + "': bool element " + std::to_string(i) + " is not 0 or 1");
        }
      }
      pos_ += count * es;
      return {};
    }
    // Strings take at least 8 bytes each: bound the count before reserving.
    if (count > (n_ - pos_) / 8) {
      return fail(at, "key '" + key + "': array length " + std::to_string(count) +
                          " of string exceeds the " + std::to_string(n_ - pos_) +
                          " bytes left in the file");
    }
    v->strings.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      auto s = read_string("element " + std::to_string(i) + " of key '" + key + "'");
      if (!s) return s.failure();
      v->strings.push_back(*s);
    }
    return {};
  }

  Status run(File* f) {
    uint32_t magic = 0;
    if (!read(&magic)) return fail(0, "truncated file: too short for the GGUF magic");
    if (magic != kMagic) return fail(0, "bad magic " + hex(magic) + " (not a GGUF file)");
    if (!read(&f->version_)) return fail(4, "truncated file: version missing");
    if (f->version_ != 2 && f->version_ != 3) {
      return fail(4, "unsupported GGUF version " + std::to_string(f->version_) + " (need 2 or 3)");
    }
    uint64_t n_tensors = 0, n_kv = 0;
    if (!read(&n_tensors)) return fail(8, "truncated file: tensor count missing");
    if (!read(&n_kv)) return fail(16, "truncated file: key/value count missing");
    // Each key/value takes >= 8+4+1 bytes and each tensor info >= 8+4+4+8 bytes.
    if (n_kv > (n_ - pos_) / 13) {
      return fail(16, "key/value count " + std::to_string(n_kv) + " cannot fit in the " +
                          std::to_string(n_ - pos_) + " bytes left in the file");
    }
    if (n_tensors > (n_ - pos_) / 24) {
      return fail(8, "tensor count " + std::to_string(n_tensors) + " cannot fit in the " +
                         std::to_string(n_ - pos_) + " bytes left in the file");
    }
    f->keys_.reserve(n_kv);
    for (uint64_t i = 0; i < n_kv; ++i) {
      const uint64_t at = pos_;
      auto key = read_string("key " + std::to_string(i));
      if (!key) return key.failure();
      std::string k(*key);
      uint32_t type = 0;
      if (!read(&type)) return fail(pos_, "truncated file: type of key '" + k + "' missing");
      Value v;
      if (Status s = read_value(type, &v, k, 0); !s) return s;
      if (f->kv_.count(k) != 0) return fail(at, "duplicate key '" + k + "'");
      f->keys_.push_back(k);
      f->kv_.emplace(std::move(k), std::move(v));
    }
    if (const Value* a = f->find("general.alignment")) {
      if (a->type != ValueType::U32) {
        return fail(0, "key 'general.alignment' has type " + std::string(value_type_name(a->type)) +
                           ", expected u32");
      }
      if (a->bits == 0 || (a->bits & (a->bits - 1)) != 0) {
        return fail(0, "key 'general.alignment' value " + std::to_string(a->bits) +
                           " is not a power of two");
      }
      f->alignment_ = a->bits;
    }
    f->tensors_.reserve(n_tensors);
    for (uint64_t i = 0; i < n_tensors; ++i) {
      if (Status s = read_tensor_info(f, i); !s) return s;
    }
    const uint64_t align = f->alignment_;
    const uint64_t data_start = pos_ + (align - pos_ % align) % align;
    if (data_start > n_) {
      if (n_tensors == 0) {
        f->data_offset_ = n_;  // vocab-only files may end right after the tensor table
        return {};
      }
      return fail(pos_, "truncated file: data section would start at " +
                            std::to_string(data_start) + " beyond the end of the file (" +
                            std::to_string(n_) + " bytes)");
    }
    f->data_offset_ = data_start;
    return check_tensor_ranges(f);
  }

  Status read_tensor_info(File* f, uint64_t i) {
    const uint64_t at = pos_;
    auto name = read_string("name of tensor " + std::to_string(i));
    if (!name) return name.failure();
    TensorInfo t;
    t.name = std::string(*name);
    const std::string who = "tensor '" + t.name + "'";
    uint32_t n_dims = 0;
    if (!read(&n_dims)) return fail(pos_, "truncated file: dimension count of " + who + " missing");
    if (n_dims == 0 || n_dims > kMaxDims) {
      return fail(pos_ - 4, who + ": dimension count " + std::to_string(n_dims) + " (need 1.." +
                                std::to_string(kMaxDims) + ")");
    }
    t.shape.resize(n_dims);
    uint64_t elems = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      if (!read(&t.shape[d]))
        return fail(pos_,
                    "truncated file: dimension " + std::to_string(d) + " of " + who + " missing");
      const uint64_t dim = t.shape[d];
      if (dim == 0) return fail(pos_ - 8, who + ": dimension " + std::to_string(d) + " is zero");
      if (dim > INT64_MAX / elems) {
        return fail(pos_ - 8, who + ": element count overflows (dimension " + std::to_string(d) +
                                  " = " + std::to_string(dim) + ")");
      }
      elems *= dim;
    }
    t.n_elements = elems;
    uint32_t type = 0;
    if (!read(&type)) return fail(pos_, "truncated file: type of " + who + " missing");
    if (IsPackedTypeId(type)) {  // lutra-packed matrix: sized by its layout, not by blocks
      const auto packed = DecodePackedType(type);
      if (!packed) {
        return fail(
            pos_ - 4, who + ": unknown lutra packed type 0x" + [&] {
              char b[16];
              std::snprintf(b, sizeof b, "%08X", type);
              return std::string(b);
            }() + " (written by a newer lutra?)");
      }
      PackedLayout layout;
      if (Status s = PackedTensorLayout(*packed, t.shape, &layout); !s.ok())
        return fail(pos_ - 4, who + ": " + s.error());
      t.type = static_cast<TensorType>(type);
      t.n_bytes = layout.total;
    } else {
      const auto traits = type_traits(type);
      if (!traits) return fail(pos_ - 4, who + ": unknown tensor type " + std::to_string(type));
      t.type = static_cast<TensorType>(type);
      if (t.shape[0] % traits->block_elems != 0) {
        return fail(pos_ - 4, who + ": first dimension " + std::to_string(t.shape[0]) +
                                  " is not a multiple of the " + std::string(traits->name) +
                                  " block size " + std::to_string(traits->block_elems));
      }
      const uint64_t blocks = elems / traits->block_elems;
      if (blocks > (UINT64_MAX - traits->tail_bytes) / traits->block_bytes)
        return fail(pos_ - 4, who + ": byte size overflows");
      t.n_bytes = blocks * traits->block_bytes + traits->tail_bytes;
    }
    if (!read(&t.offset)) return fail(pos_, "truncated file: data offset of " + who + " missing");
    if (t.offset % f->alignment_ != 0) {
      return fail(pos_ - 8, who + ": data offset " + std::to_string(t.offset) +
                                " is not a multiple of the alignment " +
                                std::to_string(f->alignment_));
    }
    if (f->tensor_index_.count(t.name) != 0) return fail(at, "duplicate " + who);
    f->tensor_index_.emplace(t.name, f->tensors_.size());
    f->tensors_.push_back(std::move(t));
    return {};
  }

  Status check_tensor_ranges(File* f) {
    const uint64_t data_size = n_ - f->data_offset_;
    std::vector<const TensorInfo*> order;
    for (TensorInfo& t : f->tensors_) {
      if (t.offset > data_size || t.n_bytes > data_size - t.offset) {
        return fail(f->data_offset_, "tensor '" + t.name + "': data [" + std::to_string(t.offset) +
                                         ", +" + std::to_string(t.n_bytes) +
                                         ") lies outside the data section of " +
                                         std::to_string(data_size) + " bytes");
      }
      t.data = p_ + f->data_offset_ + t.offset;
      order.push_back(&t);
    }
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < order.size(); ++i) {
      const TensorInfo* a = order[i - 1];
      const TensorInfo* b = order[i];
      if (a->offset + a->n_bytes > b->offset) {
        return fail(f->data_offset_ + b->offset, "tensor '" + b->name + "' (data offset " +
                                                     std::to_string(b->offset) +
                                                     ") overlaps tensor '" + a->name + "'");
      }
    }
    return {};
  }

 private:
  const uint8_t* p_;
  uint64_t n_;
  uint64_t pos_ = 0;
  std::string name_;
};

Expected<File> File::parse(const uint8_t* bytes, size_t size, std::string name) {
  File f;
  f.path_ = name;
  Parser p(bytes, size, std::move(name));
  if (Status s = p.run(&f); !s) return s.failure();
  return f;
}

Expected<File> File::open(const std::string& path, MappedFile::Mode mode) {
  auto m = MappedFile::open(path, mode);
  if (!m) return m.failure();
  auto map = std::make_shared<MappedFile>(std::move(*m));
  auto f = parse(map->data(), map->size(), path);
  if (!f) return f;
  f->map_ = std::move(map);
  return f;
}

}  // namespace lutra::gguf
