// The KV cache: per layer, K and V for n_head_kv heads × max_seq positions × head_dim, in fp32,
// fp16 or bf16, one allocation owned by the cache. Per layer and head, keys and values are in
// the layouts of kernels/attn/attn.h (keys in blocks of positions, dimension-major; values
// position-major; bf16 pairs adjacent elements for the dot-product instructions).
//
// bf16 keeps fp32's range with 8 significant bits (fp16: 11): it is the cache for hosts with
// bf16 dot products (AVX-512 BF16), where attention runs at twice the fp32 FMA rate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "arch/isa.h"
#include "engine/src/common/status.h"
#include "engine/src/dispatch/kernel_config.h"
#include "kernels/attn/attn.h"
#include "kernels/f16/f16.h"

namespace lutra::engine::attention {

enum class KvType { kF32, kF16, kBf16 };

struct KvShape {
  size_t n_layer = 0;
  size_t n_head_kv = 0;
  size_t max_seq = 0;
  size_t head_dim = 0;
  KvType type = KvType::kF32;
};

class KvCache {
 public:
  // Validates the shape (all sizes ≥ 1, total size representable, even head_dim for bf16) and
  // allocates the storage.
  static Status Create(const KvShape& shape, const KernelConfig& config, KvCache* out);

  const KvShape& shape() const { return shape_; }
  size_t length() const { return length_; }  // positions valid in every layer
  size_t element_bytes() const { return shape_.type == KvType::kF32 ? 4 : 2; }
  size_t bytes() const { return bytes_; }

  // Stores n new positions [length(), length() + n) of `layer`; k and v are n rows of
  // n_head_kv × head_dim floats (the projection's output layout). Call for every layer, then
  // Advance(n). Fails (naming the limit) when length() + n exceeds max_seq.
  Status Write(size_t layer, size_t n, const float* k, const float* v);
  Status Advance(size_t n);
  // Forgets positions from `length` on (rewind for a new prompt or a rejected draft).
  Status Truncate(size_t length);

  // One head's keys / values (float, or uint16_t fp16 / bf16 bits by shape().type), in the
  // layouts of kernels/attn/attn.h: element (t, pos) at KeyIndex(t, pos) / ValueIndex(t, pos).
  size_t KeyIndex(size_t t, size_t pos) const {
    constexpr size_t kB = kernels::attn::kKeyBlock;
    const size_t block = (pos / kB) * kB * shape_.head_dim;
    if (shape_.type == KvType::kBf16) return block + (t / 2) * 2 * kB + (pos % kB) * 2 + t % 2;
    return block + t * kB + pos % kB;
  }
  size_t ValueIndex(size_t t, size_t pos) const {
    if (shape_.type == KvType::kBf16) return (pos / 2) * 2 * shape_.head_dim + 2 * t + pos % 2;
    return pos * shape_.head_dim + t;
  }
  const void* Keys(size_t layer, size_t head) const { return Row(layer, 0, head); }
  const void* Values(size_t layer, size_t head) const { return Row(layer, 1, head); }
  // The fp16 conversion kernel of writes (tests compare it with what lutra-sysinfo reports).
  kernels::f16::FromF32Fn to_f16() const { return to_f16_; }

 private:
  const uint8_t* Row(size_t layer, size_t kv, size_t head) const {
    return storage_.get() + ((layer * 2 + kv) * shape_.n_head_kv + head) * head_stride_;
  }
  KvShape shape_;
  size_t head_stride_ = 0;  // bytes of one head's keys (or values): whole key blocks
  size_t bytes_ = 0;
  size_t length_ = 0;
  kernels::f16::FromF32Fn to_f16_ = nullptr;
  std::unique_ptr<uint16_t[]> row_16_;  // one row converted to fp16 / bf16 before scattering
  // Huge pages: decode streams every cached position of every layer per token.
  std::shared_ptr<uint8_t> storage_;
};

}  // namespace lutra::engine::attention
