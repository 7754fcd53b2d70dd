#include "engine/src/attention/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lutra::engine::attention {

Status Attention::Create(const AttentionShape& s, const KernelConfig& config, size_t threads,
                         Attention* out) {
  if (s.n_head == 0 || s.n_head_kv == 0 || s.head_dim == 0 || s.max_seq == 0 || s.max_tokens == 0) {
    return InvalidArgument(
        "attention: n_head, n_head_kv, head_dim, max_seq and max_tokens must be ≥ 1");
  }
  if (s.n_head % s.n_head_kv != 0) {
    return InvalidArgument("attention: n_head " + std::to_string(s.n_head) +
                           " is not a multiple of n_head_kv " + std::to_string(s.n_head_kv));
  }
  Attention a;
  a.shape_ = s;
  a.ratio_ = s.n_head / s.n_head_kv;
  a.rows_per_unit_ = a.ratio_ * std::min(kQueryBlock, s.max_tokens);
  a.workers_ = std::max<size_t>(threads, 1);
  a.softmax_ = config.softmax_cached_rows().fn;
  a.attn_ = config.attn();
  a.softcap_ = config.vec().softcap->fn;
  a.add_ = config.vec().add->fn;
  a.scratch_.assign(a.workers_ * a.rows_per_unit_ * s.max_seq, 0.0f);
  a.rows_.assign(a.workers_ * 3 * a.rows_per_unit_ * s.head_dim, 0.0f);
  *out = std::move(a);
  return Status::Ok();
}

Status Attention::Run(const KvCache& cache, size_t layer, size_t p0, size_t n, const float* q,
                      float* out, ThreadPool& pool, const ScoreOptions& options) {
  const KvShape& ks = cache.shape();
  if (ks.n_head_kv != shape_.n_head_kv || ks.head_dim != shape_.head_dim) {
    return InvalidArgument("attention: KV cache has " + std::to_string(ks.n_head_kv) +
                           " heads of dim " + std::to_string(ks.head_dim) + ", attention expects " +
                           std::to_string(shape_.n_head_kv) + " of dim " +
                           std::to_string(shape_.head_dim));
  }
  if (layer >= ks.n_layer) {
    return InvalidArgument("attention: layer " + std::to_string(layer) + " out of range");
  }
  if (n == 0 || n > shape_.max_tokens) {
    return InvalidArgument("attention: " + std::to_string(n) + " query positions, expected 1.." +
                           std::to_string(shape_.max_tokens));
  }
  if (p0 > cache.length() || n > cache.length() - p0 || p0 + n > shape_.max_seq) {
    return InvalidArgument(
        "attention: positions [" + std::to_string(p0) + ", " + std::to_string(p0 + n) +
        ") need that many cached positions (cache holds " + std::to_string(cache.length()) +
        ", scratch sized for " + std::to_string(shape_.max_seq) + ")");
  }
  if (!(options.scale >= 0.0f) || !std::isfinite(options.scale) || !(options.softcap >= 0.0f) ||
      !std::isfinite(options.softcap)) {
    return InvalidArgument("attention: the score scale and soft-cap must be finite and ≥ 0");
  }
  if (cache.capacity(layer) < cache.length() && n > ks.max_write) {
    return InvalidArgument("attention: " + std::to_string(n) +
                           " query positions on a ring of writes of at most " +
                           std::to_string(ks.max_write));
  }
  const UnitArgs args{
      &cache,
      layer,
      p0,
      n,
      q,
      out,
      options.scale > 0.0f ? options.scale : 1.0f / std::sqrt(float(shape_.head_dim)),
      options.softcap};
  const size_t blocks = (n + kQueryBlock - 1) / kQueryBlock;
  const size_t units = shape_.n_head_kv * blocks;
  const size_t workers = std::min({workers_, pool.threads(), units});
  // Static interleaved partition: worker t owns scratch slot t, and interleaving spreads the
  // causal triangle's long and short blocks evenly.
  pool.ParallelFor(workers, [&](size_t t) {
    float* scores = scratch_.data() + t * rows_per_unit_ * shape_.max_seq;
    float* rows = rows_.data() + t * 3 * rows_per_unit_ * shape_.head_dim;
    for (size_t u = t; u < units; u += workers) RunUnit(args, u, scores, rows);
  });
  return Status::Ok();
}

void Attention::Qk(const KvCache& cache, size_t layer, size_t g, size_t rows, const float* qrows,
                   size_t slot, size_t count, float* scores) const {
  const size_t d = shape_.head_dim, seq = shape_.max_seq;
  const size_t k0 = cache.KeyIndex(0, slot);  // slot is a block boundary: the block's start
  const void* kh = cache.Keys(layer, g);
  switch (cache.shape().type) {
    case KvType::kF16:
      attn_.qk_f16->fn(rows, d, count, qrows, d, static_cast<const uint16_t*>(kh) + k0, scores,
                       seq);
      break;
    case KvType::kBf16:
      attn_.qk_bf16->fn(rows, d, count, qrows, d, static_cast<const uint16_t*>(kh) + k0, scores,
                        seq);
      break;
    case KvType::kF32:
      attn_.qk_f32->fn(rows, d, count, qrows, d, static_cast<const float*>(kh) + k0, scores, seq);
      break;
  }
}

void Attention::Pv(const KvCache& cache, size_t layer, size_t g, size_t rows, const float* p,
                   size_t slot, size_t count, float* orows) const {
  const size_t d = shape_.head_dim, seq = shape_.max_seq;
  const size_t v0 = cache.ValueIndex(0, slot);  // slot is even: the start of a bf16 pair
  const void* vh = cache.Values(layer, g);
  switch (cache.shape().type) {
    case KvType::kF16:
      attn_.pv_f16->fn(rows, d, count, p, seq, static_cast<const uint16_t*>(vh) + v0, orows, d);
      break;
    case KvType::kBf16:
      attn_.pv_bf16->fn(rows, d, count, p, seq, static_cast<const uint16_t*>(vh) + v0, orows, d);
      break;
    case KvType::kF32:
      attn_.pv_f32->fn(rows, d, count, p, seq, static_cast<const float*>(vh) + v0, orows, d);
      break;
  }
}

void Attention::RunUnit(const UnitArgs& a, size_t unit, float* scores, float* rows_buf) const {
  const KvCache& cache = *a.cache;
  const size_t d = shape_.head_dim, seq = shape_.max_seq, p0 = a.p0;
  const size_t g = unit % shape_.n_head_kv, block = unit / shape_.n_head_kv;
  const size_t i0 = block * kQueryBlock, nb = std::min(kQueryBlock, a.n - i0);
  const size_t keys = p0 + i0 + nb;  // the last row of the block sees keys [0, keys)
  const size_t row_stride = shape_.n_head * d;

  // Row r of the unit: query position i0 + r / ratio, head g·ratio + r % ratio. Gathered into
  // consecutive rows so the kernels see one stride.
  const size_t rows = nb * ratio_;
  auto offset = [&](size_t r) {
    return (i0 + r / ratio_) * row_stride + (g * ratio_ + r % ratio_) * d;
  };
  auto position = [&](size_t r) { return p0 + i0 + r / ratio_; };
  float* qrows = rows_buf;
  float* orows = rows_buf + rows_per_unit_ * d;
  for (size_t r = 0; r < rows; ++r) std::memcpy(qrows + r * d, a.q + offset(r), d * sizeof(float));
  // With a soft-cap the scale goes into it and the softmax gets the capped scores as they are.
  const float softmax_scale = a.softcap > 0.0f ? 1.0f : a.scale;

  const size_t window = cache.window(a.layer), cap = cache.capacity(a.layer);
  const size_t stored = cache.length();  // p0 + n: every position of the batch is written
  if (window == 0 || (keys <= window && stored <= cap)) {
    // Every row sees positions [0, own]: slots are positions, causality is the row length.
    // The softmax covers the visible keys (fused 1/√d scale, no mask) and the later keys of
    // the block get probability 0 for P·V. The softmax reads no memory, so each row's turn
    // also requests a share of the values P·V will read next into L2, where reading them
    // would otherwise start only with P·V.
    Qk(cache, a.layer, g, rows, qrows, 0, keys, scores);
    const void* vh = cache.Values(a.layer, g);
    const size_t v_bytes = keys * d * cache.element_bytes();
    for (size_t r = 0; r < rows; ++r) {
      float* row = scores + r * seq;
      const size_t visible = position(r) + 1;
      if (a.softcap > 0.0f) softcap_(visible, a.scale, a.softcap, row, row);
      softmax_(visible, row, nullptr, softmax_scale, row);
      std::fill(row + visible, row + keys, 0.0f);
      const size_t lo = v_bytes * r / rows, hi = v_bytes * (r + 1) / rows;
      for (size_t b = lo & ~size_t(63); b < hi; b += 64) {
        __builtin_prefetch(static_cast<const char*>(vh) + b, 0, 2);
      }
    }
    Pv(cache, a.layer, g, rows, scores, 0, keys, orows);
  } else {
    // The slots holding positions [oldest, keys), from the block boundary at or before the
    // oldest's slot s0: one range, or two when they wrap around the ring. The first range's
    // slots before s0 are only there for the alignment (and, with two ranges, may be the
    // second range's), so they are masked.
    constexpr size_t kB = kernels::attn::kKeyBlock;
    const size_t oldest = position(0) + 1 > window ? position(0) + 1 - window : 0;
    size_t start[2] = {0, 0}, count[2] = {0, 0}, skip = 0;
    if (stored <= cap) {
      start[0] = oldest / kB * kB;
      count[0] = keys - start[0];
      skip = oldest - start[0];
    } else {
      const size_t s0 = oldest % cap, len = keys - oldest;
      start[0] = s0 / kB * kB;
      skip = s0 - start[0];
      if (s0 + len <= cap) {
        count[0] = s0 + len - start[0];
      } else {
        count[0] = cap - start[0];
        count[1] = s0 + len - cap;
      }
    }
    const size_t m = count[0] + count[1];
    for (size_t part = 0; part < 2; ++part) {
      if (count[part] == 0) continue;
      Qk(cache, a.layer, g, rows, qrows, start[part], count[part],
         scores + (part == 0 ? 0 : count[0]));
    }
    // The position a slot holds: the latest one below `stored` that maps to it.
    const size_t wraps = stored / cap, stored_slot = stored % cap;
    auto slot_position = [&](size_t slot) -> size_t {
      if (stored <= cap) return slot;
      return slot + cap * wraps - (slot >= stored_slot ? cap : 0);
    };
    for (size_t r = 0; r < rows; ++r) {
      float* row = scores + r * seq;
      if (a.softcap > 0.0f) softcap_(m, a.scale, a.softcap, row, row);
      const size_t own = position(r), lo = own + 1 > window ? own + 1 - window : 0;
      std::fill(row, row + skip, -INFINITY);
      for (size_t j = skip; j < m; ++j) {
        const size_t slot = j < count[0] ? start[0] + j : j - count[0];
        const size_t pos = slot_position(slot);
        if (pos < lo || pos > own) row[j] = -INFINITY;
      }
      softmax_(m, row, nullptr, softmax_scale, row);
    }
    Pv(cache, a.layer, g, rows, scores, start[0], count[0], orows);
    if (count[1] != 0) {
      float* second = orows + rows_per_unit_ * d;
      Pv(cache, a.layer, g, rows, scores + count[0], 0, count[1], second);
      add_(rows * d, orows, second, orows);
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(a.out + offset(r), orows + r * d, d * sizeof(float));
  }
}

}  // namespace lutra::engine::attention
