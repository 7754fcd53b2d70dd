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
  a.scratch_.assign(a.workers_ * a.rows_per_unit_ * s.max_seq, 0.0f);
  a.rows_.assign(a.workers_ * 2 * a.rows_per_unit_ * s.head_dim, 0.0f);
  *out = std::move(a);
  return Status::Ok();
}

Status Attention::Run(const KvCache& cache, size_t layer, size_t p0, size_t n, const float* q,
                      float* out, ThreadPool& pool) {
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
  const size_t blocks = (n + kQueryBlock - 1) / kQueryBlock;
  const size_t units = shape_.n_head_kv * blocks;
  const size_t workers = std::min({workers_, pool.threads(), units});
  // Static interleaved partition: worker t owns scratch slot t, and interleaving spreads the
  // causal triangle's long and short blocks evenly.
  pool.ParallelFor(workers, [&](size_t t) {
    float* scores = scratch_.data() + t * rows_per_unit_ * shape_.max_seq;
    float* rows = rows_.data() + t * 2 * rows_per_unit_ * shape_.head_dim;
    for (size_t u = t; u < units; u += workers) {
      RunUnit(cache, layer, p0, n, q, out, u, scores, rows);
    }
  });
  return Status::Ok();
}

void Attention::RunUnit(const KvCache& cache, size_t layer, size_t p0, size_t n, const float* q,
                        float* out, size_t unit, float* scores, float* rows_buf) const {
  const size_t d = shape_.head_dim, seq = shape_.max_seq;
  const size_t g = unit % shape_.n_head_kv, block = unit / shape_.n_head_kv;
  const size_t i0 = block * kQueryBlock, nb = std::min(kQueryBlock, n - i0);
  const size_t keys = p0 + i0 + nb;  // the last row of the block sees keys [0, keys)
  const size_t row_stride = shape_.n_head * d;
  const float scale = 1.0f / std::sqrt(float(d));

  // Row r of the unit: query position i0 + r / ratio, head g·ratio + r % ratio. Gathered into
  // consecutive rows so the kernels see one stride.
  const size_t rows = nb * ratio_;
  auto offset = [&](size_t r) {
    return (i0 + r / ratio_) * row_stride + (g * ratio_ + r % ratio_) * d;
  };
  auto visible = [&](size_t r) { return p0 + i0 + r / ratio_ + 1; };  // causal: keys ≤ own pos
  float* qrows = rows_buf;
  float* orows = rows_buf + rows_per_unit_ * d;
  for (size_t r = 0; r < rows; ++r) std::memcpy(qrows + r * d, q + offset(r), d * sizeof(float));

  const void* kh = cache.Keys(layer, g);
  switch (cache.shape().type) {
    case KvType::kF16:
      attn_.qk_f16->fn(rows, d, keys, qrows, d, static_cast<const uint16_t*>(kh), scores, seq);
      break;
    case KvType::kBf16:
      attn_.qk_bf16->fn(rows, d, keys, qrows, d, static_cast<const uint16_t*>(kh), scores, seq);
      break;
    case KvType::kF32:
      attn_.qk_f32->fn(rows, d, keys, qrows, d, static_cast<const float*>(kh), scores, seq);
      break;
  }
  // Causality is the row length: the softmax covers the visible keys (fused 1/√d scale, no
  // mask) and the later keys of the block get probability 0 for P·V.
  // The softmax reads no memory, so each row's turn also requests a share of the values P·V
  // will read next into L2, where reading them would otherwise start only with P·V.
  const void* vh = cache.Values(layer, g);
  const size_t v_bytes = keys * d * cache.element_bytes();
  for (size_t r = 0; r < rows; ++r) {
    float* row = scores + r * seq;
    softmax_(visible(r), row, nullptr, scale, row);
    std::fill(row + visible(r), row + keys, 0.0f);
    const size_t lo = v_bytes * r / rows, hi = v_bytes * (r + 1) / rows;
    for (size_t b = lo & ~size_t(63); b < hi; b += 64) {
      __builtin_prefetch(static_cast<const char*>(vh) + b, 0, 2);
    }
  }
  switch (cache.shape().type) {
    case KvType::kF16:
      attn_.pv_f16->fn(rows, d, keys, scores, seq, static_cast<const uint16_t*>(vh), orows, d);
      break;
    case KvType::kBf16:
      attn_.pv_bf16->fn(rows, d, keys, scores, seq, static_cast<const uint16_t*>(vh), orows, d);
      break;
    case KvType::kF32:
      attn_.pv_f32->fn(rows, d, keys, scores, seq, static_cast<const float*>(vh), orows, d);
      break;
  }
  for (size_t r = 0; r < rows; ++r) std::memcpy(out + offset(r), orows + r * d, d * sizeof(float));
}

}  // namespace lutra::engine::attention
