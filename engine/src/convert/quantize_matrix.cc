#include "engine/src/convert/quantize_matrix.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>

#include "arch/detect.h"
#include "engine/src/formats/tensor_encode.h"
#include "engine/src/quantize/range_search.h"
#include "kernels/f16/convert.h"
#include "kernels/packw/packw.h"

namespace lutra::engine::convert {
namespace {

// Rows per task: big enough that a task's fixed costs vanish, small enough that two threads
// stay balanced on a 256-row matrix and a stop request is seen quickly.
constexpr size_t kChunkRows = 32;

size_t Chunks(size_t m) {
  return (m + kChunkRows - 1) / kChunkRows;
}

// Writes q's tiles into `out` (the layout of `type` for q's shape), a tile chunk per task: the
// layout is tile-major, so rows [32a, 32b) pack exactly into tiles a..b−1.
void Pack(const quantize::QuantizedMatrix& q, const gguf::PackedLayout& layout,
          const KernelConfig& config, ThreadPool& pool, uint8_t* out) {
  const kernels::packw::Shape& s = q.shape;
  const size_t groups = kernels::packw::Groups(s);
  const size_t tiles = kernels::packw::Tiles(s);
  const auto pack = config.packw().pack->fn;
  const size_t tile_bits = layout.bits_bytes / tiles, tile_scales = groups * 32;
  // Symmetric tensors store no bias: the packer's zeros go to scratch.
  std::vector<float> bias_scratch(s.asymmetric ? 0 : layout.scale_count);
  constexpr size_t kTilesPerTask = 4;
  pool.ParallelFor((tiles + kTilesPerTask - 1) / kTilesPerTask, [&](size_t task) {
    const size_t t0 = task * kTilesPerTask, t1 = std::min(tiles, t0 + kTilesPerTask);
    const size_t r0 = t0 * 32, r1 = std::min(s.m, t1 * 32);
    const kernels::packw::Shape sub{r1 - r0, s.k, s.bits, s.group, s.asymmetric};
    const kernels::packw::Unpacked in{q.q.data() + r0 * s.k, q.scale.data() + r0 * groups,
                                      s.asymmetric ? q.zero.data() + r0 * groups : nullptr};
    float* scale = reinterpret_cast<float*>(out + layout.scale) + t0 * tile_scales;
    float* bias = s.asymmetric ? reinterpret_cast<float*>(out + layout.bias) + t0 * tile_scales
                               : bias_scratch.data() + t0 * tile_scales;
    uint8_t* zero = s.asymmetric ? out + layout.zero + t0 * tile_scales : nullptr;
    pack(sub, in, {out + layout.bits + t0 * tile_bits, scale, bias, zero});
  });
}

// ŵ of code c in group gi of q.
inline float Dequant(const quantize::QuantizedMatrix& q, size_t gi, uint8_t c) {
  const float z = q.shape.asymmetric ? float(q.zero[gi]) : 0.5f * float((1 << q.shape.bits) - 1);
  return q.scale[gi] * (float(c) - z);
}

}  // namespace

Status QuantizeToPacked(float* w, size_t m, size_t k, const gguf::PackedType& type, Method method,
                        const KernelConfig& config, ThreadPool& pool,
                        const std::function<bool()>& stop, linear::AlignedBytes* out,
                        MatrixStats* stats) {
  gguf::PackedLayout layout;
  if (Status s = gguf::PackedTensorLayout(type, {k, m}, &layout); !s.ok()) return s.failure();
  for (size_t i = 0; i < m * k; ++i) {
    if (!std::isfinite(w[i])) {
      return InvalidArgument("weight " + std::to_string(i) + " (row " + std::to_string(i / k) +
                             ") is not finite");
    }
  }
  const size_t n_out = type.outliers;
  const size_t groups = (k + type.group - 1) / type.group;
  std::atomic<bool> stopped{false};
  // `stop` ends in the caller's should_stop, which lutra.h promises runs on the converting
  // thread only (so it may keep unsynchronized state): the pool's workers only read the flag
  // the converting thread sets, which takes its share of every ParallelFor's chunks.
  const std::thread::id caller = std::this_thread::get_id();
  auto poll = [&] {
    if (stop && std::this_thread::get_id() == caller && !stopped.load(std::memory_order_relaxed) &&
        stop())
      stopped.store(true, std::memory_order_relaxed);
    return stopped.load(std::memory_order_relaxed);
  };

  // Outliers: the n_out largest magnitudes of each row leave the quantization (set to 0, so
  // they do not stretch their group's range) and come back as fp16 corrections.
  std::vector<uint32_t> cols(m * n_out);
  std::vector<float> saved(m * n_out);
  if (n_out > 0) {
    pool.ParallelFor(Chunks(m), [&](size_t c) {
      std::vector<uint32_t> idx(k);
      for (size_t r = c * kChunkRows; r < std::min(m, (c + 1) * kChunkRows); ++r) {
        float* row = w + r * k;
        std::iota(idx.begin(), idx.end(), 0u);
        std::nth_element(idx.begin(), idx.begin() + long(n_out - 1), idx.end(),
                         [&](uint32_t a, uint32_t b) {
                           return std::fabs(row[a]) > std::fabs(row[b]) ||
                                  (std::fabs(row[a]) == std::fabs(row[b]) && a < b);
                         });
        std::sort(idx.begin(), idx.begin() + long(n_out));
        for (size_t j = 0; j < n_out; ++j) {
          cols[r * n_out + j] = idx[j];
          saved[r * n_out + j] = row[idx[j]];
          row[idx[j]] = 0.0f;
        }
      }
    });
  }

  quantize::QuantizedMatrix q;
  if (type.ternary && type.uniform_scale) {
    if (Status s = quantize::QuantizeTernary(w, m, k, type.group, true, &q); !s.ok())
      return s.failure();
  } else if (method == Method::kSearch && !type.ternary) {
    if (Status s = quantize::QuantizeRangeSearch(w, m, k, type.bits, type.group, type.asymmetric,
                                                 {}, &pool, &q);
        !s.ok()) {
      return s.failure();
    }
    poll();
  } else {
    // Round to nearest (or per-group absmean) over row chunks.
    q.shape = {m, k, type.bits, type.group, type.asymmetric};
    q.q.resize(m * k);
    q.scale.resize(m * groups);
    q.zero.resize(type.asymmetric ? m * groups : 0);
    q.ternary = type.ternary;
    std::vector<Status> errors(Chunks(m));
    pool.ParallelFor(Chunks(m), [&](size_t c) {
      if (poll()) return;
      const size_t r0 = c * kChunkRows, rows = std::min(m, r0 + kChunkRows) - r0;
      quantize::QuantizedMatrix part;
      errors[c] = type.ternary
                      ? quantize::QuantizeTernary(w + r0 * k, rows, k, type.group, false, &part)
                      : quantize::QuantizeRtn(w + r0 * k, rows, k, type.bits, type.group,
                                              type.asymmetric, &part);
      if (!errors[c].ok()) return;
      std::memcpy(q.q.data() + r0 * k, part.q.data(), rows * k);
      std::memcpy(q.scale.data() + r0 * groups, part.scale.data(), rows * groups * 4);
      if (type.asymmetric)
        std::memcpy(q.zero.data() + r0 * groups, part.zero.data(), rows * groups);
    });
    for (const Status& e : errors) {
      if (!e.ok()) return e.failure();
    }
  }
  if (poll()) return IoError("stopped");
  q.uniform_scale = type.uniform_scale;

  *out = linear::AlignedBytes(layout.total);
  uint8_t* base = out->data();
  Pack(q, layout, config, pool, base);

  // Corrections (fp16 of w − ŵ), restored weights, and the error of the result.
  auto* entries = reinterpret_cast<uint32_t*>(base + layout.outliers);
  std::vector<double> err(Chunks(m)), norm(Chunks(m));
  pool.ParallelFor(Chunks(m), [&](size_t c) {
    double e = 0.0, nrm = 0.0;
    for (size_t r = c * kChunkRows; r < std::min(m, (c + 1) * kChunkRows); ++r) {
      float* row = w + r * k;
      const uint8_t* code = q.q.data() + r * k;
      for (size_t j = 0; j < n_out; ++j) {
        const uint32_t col = cols[r * n_out + j];
        const float orig = saved[r * n_out + j];
        const float base_value = Dequant(q, r * groups + col / type.group, code[col]);
        const uint16_t h = formats::FloatToHalfBits(orig - base_value);
        entries[r * n_out + j] = col | (uint32_t(h) << 16);
        row[col] = orig;
      }
      const uint32_t* ent = entries + r * n_out;
      size_t next = 0;
      for (size_t col = 0; col < k; ++col) {
        double rec = Dequant(q, r * groups + col / type.group, code[col]);
        if (next < n_out && (ent[next] & 0xFFFF) == col) {
          rec += double(kernels::f16::HalfToFloat(uint16_t(ent[next] >> 16)));
          ++next;
        }
        const double d = double(row[col]) - rec;
        e += d * d;
        nrm += double(row[col]) * double(row[col]);
      }
    }
    err[c] = e;
    norm[c] = nrm;
  });
  stats->squared_error = std::accumulate(err.begin(), err.end(), 0.0);
  stats->squared_norm = std::accumulate(norm.begin(), norm.end(), 0.0);
  return Status::Ok();
}

Status PackQuantized(const quantize::QuantizedMatrix& q, const gguf::PackedType& type,
                     const KernelConfig& config, ThreadPool& pool, linear::AlignedBytes* out) {
  if (type.outliers != 0) return InvalidArgument("a repack carries no outliers");
  gguf::PackedLayout layout;
  if (Status s = gguf::PackedTensorLayout(type, {q.shape.k, q.shape.m}, &layout); !s.ok())
    return s.failure();
  *out = linear::AlignedBytes(layout.total);
  Pack(q, layout, config, pool, out->data());
  return Status::Ok();
}

}  // namespace lutra::engine::convert
