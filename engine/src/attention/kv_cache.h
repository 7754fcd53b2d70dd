// The KV cache: per layer, K and V for n_head_kv heads × its positions × head_dim, in fp32,
// fp16 or bf16, one allocation owned by the cache. Per layer and head, keys and values are in
// the layouts of kernels/attn/attn.h (keys in blocks of positions, dimension-major; values
// position-major; bf16 pairs adjacent elements for the dot-product instructions).
//
// bf16 keeps fp32's range with 8 significant bits (fp16: 11): it is the cache for hosts with
// bf16 dot products (AVX-512 BF16), where attention runs at twice the fp32 FMA rate.
//
// Sliding-window layers (window W: a query at position q attends to positions (q − W, q]) keep
// a ring of capacity(l) slots instead of max_seq positions: position p lives in slot
// p % capacity(l). A write of n ≤ max_write positions must not overwrite a position that one
// of its own queries still attends to, so the ring holds W + max_write − 1 positions (rounded
// up to whole key blocks): memory is bounded by the window and the prefill chunk, not by the
// context. A layer whose ring would not be smaller than max_seq keeps every position
// (capacity ≥ max_seq, slot = position) and attention masks the window itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  // Per layer: the sliding window (0: the layer attends to every position). Empty: no layer
  // slides. Otherwise n_layer entries.
  std::vector<size_t> window = {};
  // Most positions one Write stores (the prefill chunk); sizes the rings. 0: max_seq.
  size_t max_write = 0;
};

class KvCache {
 public:
  // Validates the shape (all sizes ≥ 1, total size representable, even head_dim for bf16, one
  // window per layer) and allocates the storage.
  static Status Create(const KvShape& shape, const KernelConfig& config, KvCache* out);

  const KvShape& shape() const { return shape_; }
  size_t length() const { return length_; }  // positions valid in every layer
  size_t element_bytes() const { return shape_.type == KvType::kF32 ? 4 : 2; }
  size_t bytes() const { return bytes_; }
  // The layer's sliding window (0: none) and its slots: whole key blocks, ≥ max_seq for a
  // layer that keeps every position.
  size_t window(size_t layer) const { return layers_[layer].window; }
  size_t capacity(size_t layer) const { return layers_[layer].capacity; }
  // The slot of position `pos` in `layer` (the position itself unless the layer is a ring).
  size_t Slot(size_t layer, size_t pos) const { return pos % layers_[layer].capacity; }

  // Stores n new positions [length(), length() + n) of `layer`; k and v are n rows of
  // n_head_kv × head_dim floats (the projection's output layout). Call for every layer, then
  // Advance(n). Fails (naming the limit) when length() + n exceeds max_seq, or when n exceeds
  // max_write on a ring layer.
  Status Write(size_t layer, size_t n, const float* k, const float* v);
  Status Advance(size_t n);
  // Forgets positions from `length` on (rewind for a new prompt or a rejected draft). A ring
  // layer that has wrapped can go back to 0, or by at most capacity − window + 1 positions
  // (what its ring still holds for the next query); further is an error.
  Status Truncate(size_t length);

  // One head's keys / values (float, or uint16_t fp16 / bf16 bits by shape().type), in the
  // layouts of kernels/attn/attn.h: element (t, slot) at KeyIndex(t, slot) /
  // ValueIndex(t, slot), where slot = Slot(layer, position).
  size_t KeyIndex(size_t t, size_t slot) const {
    constexpr size_t kB = kernels::attn::kKeyBlock;
    const size_t block = (slot / kB) * kB * shape_.head_dim;
    if (shape_.type == KvType::kBf16) return block + (t / 2) * 2 * kB + (slot % kB) * 2 + t % 2;
    return block + t * kB + slot % kB;
  }
  size_t ValueIndex(size_t t, size_t slot) const {
    if (shape_.type == KvType::kBf16) return (slot / 2) * 2 * shape_.head_dim + 2 * t + slot % 2;
    return slot * shape_.head_dim + t;
  }
  const void* Keys(size_t layer, size_t head) const { return Row(layer, 0, head); }
  const void* Values(size_t layer, size_t head) const { return Row(layer, 1, head); }
  // The fp16 conversion kernel of writes (tests compare it with what lutra-sysinfo reports).
  kernels::f16::FromF32Fn to_f16() const { return to_f16_; }

 private:
  struct Layer {
    size_t window = 0;
    size_t capacity = 0;     // slots (whole key blocks)
    size_t offset = 0;       // bytes from the start of the storage
    size_t head_stride = 0;  // bytes of one head's keys (or values)
  };
  const uint8_t* Row(size_t layer, size_t kv, size_t head) const {
    const Layer& L = layers_[layer];
    return storage_.get() + L.offset + (kv * shape_.n_head_kv + head) * L.head_stride;
  }
  KvShape shape_;
  std::vector<Layer> layers_;
  size_t bytes_ = 0;
  size_t length_ = 0;
  kernels::f16::FromF32Fn to_f16_ = nullptr;
  std::unique_ptr<uint16_t[]> row_16_;  // one row converted to fp16 / bf16 before scattering
  // Huge pages: decode streams every cached position of every layer per token.
  std::shared_ptr<uint8_t> storage_;
};

}  // namespace lutra::engine::attention
