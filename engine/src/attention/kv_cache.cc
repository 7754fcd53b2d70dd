#include "engine/src/attention/kv_cache.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "engine/src/formats/tensor_encode.h"
#include "engine/src/memory/huge_page_arena.h"

namespace lutra::engine::attention {
namespace {

// Positions the storage holds: whole key blocks (the qk kernels read whole blocks).
size_t BlockedPositions(size_t max_seq) {
  return (max_seq + kernels::attn::kKeyBlock - 1) / kernels::attn::kKeyBlock *
         kernels::attn::kKeyBlock;
}

// Slots of a ring for `window` and writes of up to `max_write` positions.
size_t RingPositions(size_t window, size_t max_write) {
  return BlockedPositions(window + max_write - 1);
}

}  // namespace

Status KvCache::Create(const KvShape& s, const KernelConfig& config, KvCache* out) {
  if (s.n_layer == 0 || s.n_head_kv == 0 || s.max_seq == 0 || s.head_dim == 0) {
    return InvalidArgument(
        "KV cache: n_layer, n_head_kv, max_seq and head_dim must all be ≥ 1 (got " +
        std::to_string(s.n_layer) + ", " + std::to_string(s.n_head_kv) + ", " +
        std::to_string(s.max_seq) + ", " + std::to_string(s.head_dim) + ")");
  }
  if (s.type == KvType::kBf16 && s.head_dim % 2 != 0) {
    return InvalidArgument(
        "KV cache: a bf16 cache pairs adjacent dimensions and needs an even head_dim (got " +
        std::to_string(s.head_dim) + "); use an f16 or f32 cache");
  }
  if (!s.window.empty() && s.window.size() != s.n_layer) {
    return InvalidArgument("KV cache: " + std::to_string(s.window.size()) + " windows for " +
                           std::to_string(s.n_layer) + " layers");
  }
  const size_t elem = s.type == KvType::kF32 ? 4 : 2;
  const size_t max_write = s.max_write == 0 ? s.max_seq : std::min(s.max_write, s.max_seq);
  // Overflow-checked sums of 2 · n_head_kv · slots · head_dim · elem per layer (a window
  // cannot make a layer larger than max_seq positions, so the full layers bound the total).
  std::vector<Layer> layers(s.n_layer);
  size_t full = elem;
  for (size_t f : {s.n_layer, size_t{2}, s.n_head_kv, BlockedPositions(s.max_seq), s.head_dim}) {
    if (full > std::numeric_limits<size_t>::max() / f) {
      return OutOfMemory("KV cache: size overflows (n_layer·n_head_kv·max_seq·head_dim too large)");
    }
    full *= f;
  }
  size_t total = 0;
  for (size_t l = 0; l < s.n_layer; ++l) {
    Layer& L = layers[l];
    L.window = s.window.empty() ? 0 : s.window[l];
    L.capacity = BlockedPositions(s.max_seq);
    if (L.window != 0 && L.window < s.max_seq) {
      L.capacity = std::min(L.capacity, RingPositions(L.window, max_write));
    }
    L.head_stride = L.capacity * s.head_dim * elem;
    L.offset = total;
    total += 2 * s.n_head_kv * L.head_stride;
  }
  // Fresh anonymous pages read as zero; touching them all now keeps the resident size from
  // growing while generating.
  std::shared_ptr<uint8_t> p = memory::AllocateHugePageBacked(total);
  if (p == nullptr) {
    return OutOfMemory("KV cache: cannot allocate " + std::to_string(total) + " bytes");
  }
  std::memset(p.get(), 0, total);
  KvCache c;
  c.shape_ = s;
  c.shape_.max_write = max_write;
  c.layers_ = std::move(layers);
  c.bytes_ = total;
  c.to_f16_ = config.f16().from_f32->fn;
  c.storage_ = std::move(p);
  c.row_16_ = std::make_unique<uint16_t[]>(s.head_dim);
  *out = std::move(c);
  return Status::Ok();
}

Status KvCache::Write(size_t layer, size_t n, const float* k, const float* v) {
  if (layer >= shape_.n_layer) {
    return InvalidArgument("KV cache: layer " + std::to_string(layer) + " out of range (n_layer " +
                           std::to_string(shape_.n_layer) + ")");
  }
  if (n > shape_.max_seq - length_) {
    return ContextFull("KV cache: " + std::to_string(length_) + " + " + std::to_string(n) +
                       " positions exceed max_seq " + std::to_string(shape_.max_seq));
  }
  const Layer& L = layers_[layer];
  if (L.capacity < shape_.max_seq && n > shape_.max_write) {
    return InvalidArgument("KV cache: a write of " + std::to_string(n) +
                           " positions to sliding-window layer " + std::to_string(layer) +
                           " exceeds the " + std::to_string(shape_.max_write) +
                           " its ring is sized for");
  }
  const size_t d = shape_.head_dim, row_floats = shape_.n_head_kv * d;
  for (size_t kv = 0; kv < 2; ++kv) {
    const float* src = kv == 0 ? k : v;
    for (size_t h = 0; h < shape_.n_head_kv; ++h) {
      uint8_t* dst = const_cast<uint8_t*>(Row(layer, kv, h));
      for (size_t i = 0; i < n; ++i) {
        const float* x = src + i * row_floats + h * d;
        const size_t pos = (length_ + i) % L.capacity;
        if (shape_.type == KvType::kF32) {
          float* out = reinterpret_cast<float*>(dst);
          for (size_t t = 0; t < d; ++t)
            out[kv == 0 ? KeyIndex(t, pos) : ValueIndex(t, pos)] = x[t];
          continue;
        }
        if (shape_.type == KvType::kF16) {
          to_f16_(d, x, row_16_.get());
        } else {
          for (size_t t = 0; t < d; ++t) row_16_[t] = formats::FloatToBf16Bits(x[t]);
        }
        uint16_t* out = reinterpret_cast<uint16_t*>(dst);
        for (size_t t = 0; t < d; ++t) {
          out[kv == 0 ? KeyIndex(t, pos) : ValueIndex(t, pos)] = row_16_[t];
        }
      }
    }
  }
  return Status::Ok();
}

Status KvCache::Advance(size_t n) {
  if (n > shape_.max_seq - length_) {
    return ContextFull("KV cache: advancing " + std::to_string(length_) + " by " +
                       std::to_string(n) + " exceeds max_seq " + std::to_string(shape_.max_seq));
  }
  length_ += n;
  return Status::Ok();
}

Status KvCache::Truncate(size_t length) {
  if (length > length_) {
    return InvalidArgument("KV cache: cannot truncate to " + std::to_string(length) + ", only " +
                           std::to_string(length_) + " positions are stored");
  }
  // A wrapped ring has overwritten the slots of positions older than length_ − capacity: the
  // next query (at `length`) needs positions from length − window + 1 on.
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& L = layers_[l];
    if (length == 0 || L.window == 0 || length_ <= L.capacity) continue;
    const size_t keep = L.capacity - L.window + 1;
    if (length_ - length > keep) {
      return InvalidArgument("KV cache: cannot go back from " + std::to_string(length_) + " to " +
                             std::to_string(length) + " positions: sliding-window layer " +
                             std::to_string(l) + " keeps " + std::to_string(L.capacity) +
                             " positions of window " + std::to_string(L.window) + " (at most " +
                             std::to_string(keep) + " back, or to 0)");
    }
  }
  length_ = length;
  return Status::Ok();
}

}  // namespace lutra::engine::attention
