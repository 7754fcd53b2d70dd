// GGUF v3 writer: metadata of every type plus aligned tensor data, written to a temporary
// file in the destination directory, parsed back with lutra's reader and renamed over the
// destination only when complete and readable. Each key is written once (setting it again
// replaces the value). The alignment is 32, the GGUF default, unless given: a file needing
// more carries `general.alignment`, added by write() (a caller's value must agree).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/gguf/types.h"

namespace lutra::gguf {

// Receives the bytes of a streamed tensor, in order; put() returns false once writing failed.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual bool put(const void* data, size_t n) = 0;
};
// Produces a streamed tensor's bytes into the sink while the file is written, so a model far
// larger than memory can be written; must put exactly the tensor's size, which includes a
// type's per-tensor tail (I2_S: its scale), put after the last block.
using TensorProducer = std::function<Status(ByteSink& out)>;

class Writer {
 public:
  explicit Writer(uint32_t alignment = kDefaultAlignment) : alignment_(alignment) {}

  void set_u8(std::string key, uint8_t v) { scalar(std::move(key), ValueType::U8, &v, 1); }
  void set_i8(std::string key, int8_t v) { scalar(std::move(key), ValueType::I8, &v, 1); }
  void set_u16(std::string key, uint16_t v) { scalar(std::move(key), ValueType::U16, &v, 2); }
  void set_i16(std::string key, int16_t v) { scalar(std::move(key), ValueType::I16, &v, 2); }
  void set_u32(std::string key, uint32_t v) { scalar(std::move(key), ValueType::U32, &v, 4); }
  void set_i32(std::string key, int32_t v) { scalar(std::move(key), ValueType::I32, &v, 4); }
  void set_u64(std::string key, uint64_t v) { scalar(std::move(key), ValueType::U64, &v, 8); }
  void set_i64(std::string key, int64_t v) { scalar(std::move(key), ValueType::I64, &v, 8); }
  void set_f32(std::string key, float v) { scalar(std::move(key), ValueType::F32, &v, 4); }
  void set_f64(std::string key, double v) { scalar(std::move(key), ValueType::F64, &v, 8); }
  void set_bool(std::string key, bool v) {
    const uint8_t b = v ? 1 : 0;
    scalar(std::move(key), ValueType::Bool, &b, 1);
  }
  void set_string(std::string key, std::string_view v);
  // Numeric array: `count` elements of `elem` stored little-endian at `data`.
  void set_array(std::string key, ValueType elem, const void* data, uint64_t count);
  void set_string_array(std::string key, const std::vector<std::string>& v);

  // Data is copied; `shape` is in ggml order (shape[0] contiguous).
  Status add_tensor(std::string name, TensorType type, std::vector<uint64_t> shape,
                    const void* data, uint64_t n_bytes);

  // Like add_tensor, but the bytes come from `produce` during write() (called once per
  // write, in tensor order); nothing is buffered.
  Status add_tensor_stream(std::string name, TensorType type, std::vector<uint64_t> shape,
                           TensorProducer produce);

  // Writes TARGET.tmp.PID (created exclusively; TARGET is `path`, or the final target when
  // `path` is a symbolic link) and renames it over TARGET when complete; removed on any
  // failure. Refuses, before producing anything, a `path` that is a directory, FIFO, socket
  // or device (output_path.h).
  Status write(const std::string& path) const;

  static constexpr std::string_view kAlignmentKey = "general.alignment";
  static constexpr uint32_t kDefaultAlignment = 32;

 private:
  void scalar(std::string key, ValueType t, const void* p, size_t n);
  void store(std::string key, std::vector<uint8_t> value);
  Status alignment_key(std::vector<uint8_t>* extra) const;

  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<uint64_t> shape;
    std::vector<uint8_t> data;
    uint64_t size = 0;
    TensorProducer produce;  // set for streamed tensors (data stays empty)
  };
  uint32_t alignment_;
  std::vector<std::string> keys_;
  std::vector<std::vector<uint8_t>> values_;  // type id + encoded value, per key
  std::vector<Tensor> tensors_;
};

}  // namespace lutra::gguf
