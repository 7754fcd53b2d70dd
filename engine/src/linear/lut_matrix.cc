#include "engine/src/linear/lut_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/src/linear/load_parallel.h"
#include "kernels/f16/convert.h"

namespace lutra::engine::linear {

using quantize::QuantizedMatrix;

using kernels::packw::Groups;
using kernels::packw::PaddedK;
using kernels::packw::RoundUp;
using kernels::packw::Tiles;

AlignedBytes::AlignedBytes(size_t bytes) : size_(bytes) {
  const size_t alloc = RoundUp(std::max<size_t>(bytes, 1), 64);
  void* p = std::aligned_alloc(64, alloc);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, alloc);
  data_.reset(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

AlignedBytes::AlignedBytes(size_t bytes, memory::HugePageArena& arena)
    : data_(arena.Allocate(bytes)), size_(bytes) {
  if (data_ == nullptr) throw std::bad_alloc();
}

void LutMatrix::SelectBuilders(const KernelConfig& config) {
  const auto& build = config.lutbuild();
  build_ = build.quantized->fn;
  build_exact_ = build.exact->fn;
  build_int8_ = build.int8->fn;
  build_int8_blocks_ = build.int8_blocks->fn;
}

namespace {

AlignedBytes Allocate(size_t bytes, memory::HugePageArena* arena) {
  return arena != nullptr ? AlignedBytes(bytes, *arena) : AlignedBytes(bytes);
}

}  // namespace

Status LutMatrix::Create(const QuantizedMatrix& q, const KernelConfig& config, Activations mode,
                         LutMatrix* out, memory::HugePageArena* arena, ThreadPool* pool) {
  const bool exact = mode == Activations::kInt8Exact;
  // Per-group float mins live only in the bias array, which the dot-product kernels do not read.
  const bool lookup_only = !q.min.empty();
  if (lookup_only && exact) {
    return InvalidModel("lut: per-group float mins have no exact int8 mode");
  }
  // Exact ternary rows with one scale: the 1.67-bit layout where its kernel is the faster one.
  const bool ternary_one_scale =
      exact && q.ternary && q.uniform_scale && q.shape.asymmetric &&
      std::all_of(q.zero.begin(), q.zero.end(), [](uint8_t z) { return z == 1; });
  const LutKernels k = config.Lut(q.shape.bits,
                                  lookup_only ? LutMode::kLookupOnly
                                  : exact     ? LutMode::kExact
                                              : LutMode::kFloat,
                                  ternary_one_scale);
  if (k.one == nullptr) {
    return InvalidModel("lut: no lookup kernel for " + std::to_string(q.shape.bits) +
                        "-bit weights");
  }
  const LutMode lut_mode = lookup_only ? LutMode::kLookupOnly
                           : exact     ? LutMode::kExact
                                       : LutMode::kFloat;
  if (k.ternary3 != nullptr) {
    if (Status s = CreateTernary3(q, config, k.ternary3, out, arena); !s.ok()) return s;
  } else {
    if (Status s = CreateWith(q, config, k.one, out, arena, pool); !s.ok()) return s;
    out->gemm_many_ = k.many;
  }
  out->from_create_ = true;
  out->mode_ = lut_mode;
  out->ternary_one_scale_ = ternary_one_scale;
  return Status::Ok();
}

Status LutMatrix::CreateTernary3(const QuantizedMatrix& q, const KernelConfig& config,
                                 const kernels::ternary3::Kernels* variant, LutMatrix* out,
                                 memory::HugePageArena* arena) {
  namespace t3 = kernels::ternary3;
  const kernels::packw::Shape& s = q.shape;
  if (const char* msg = kernels::packw::Validate(s)) {
    return InvalidModel(std::string("lut: ") + msg);
  }
  if (!q.ternary || !q.uniform_scale || !s.asymmetric ||
      !std::all_of(q.zero.begin(), q.zero.end(), [](uint8_t z) { return z == 1; })) {
    return InvalidModel("lut: the ternary3 layout needs ternary rows with one scale each");
  }
  const arch::IsaSet features = config.features();
  if ((variant->isa & features) != variant->isa) {
    return IsaUnavailable(std::string("lut: ") + variant->name + " needs " +
                          arch::FeatureNames(variant->isa & ~features) + ", which this CPU lacks");
  }
  // gemm() still names the bit-plane exact kernel's contract (exact(), Describe); the
  // multiplication itself goes through `variant`.
  const auto* gemm = config.LutGemm(s.bits, LutMode::kExact, Tokens::kOne);
  if (gemm == nullptr) {
    return InvalidModel("lut: no exact lookup kernel for ternary weights");
  }
  const size_t groups = Groups(s);
  if (q.q.size() != s.m * s.k || q.scale.size() != s.m * groups || q.zero.size() != s.m * groups) {
    return InvalidModel("lut: quantized matrix arrays do not match its shape");
  }
  for (size_t r = 0; r < s.m; ++r) {
    for (size_t g = 1; g < groups; ++g) {
      if (q.scale[r * groups + g] != q.scale[r * groups]) {
        return InvalidModel("lut: uniform_scale set but row " + std::to_string(r) +
                            " has several scales");
      }
    }
  }
  const size_t padded_rows = t3::Tiles(s.m) * t3::kTileRows;
  LutMatrix m;
  m.t3_data_ = Allocate(t3::WeightBytes(s.m, s.k), arena);
  m.t3_sign_sum_ = Allocate(padded_rows * sizeof(int32_t), arena);
  m.scale_ = Allocate(padded_rows * sizeof(float), arena);
  if (!t3::Pack(s.m, s.k, q.q.data(), m.t3_data_.data(),
                reinterpret_cast<int32_t*>(m.t3_sign_sum_.data()))) {
    return InvalidModel("lut: a ternary code is not 0, 1 or 2");
  }
  float* scale = reinterpret_cast<float*>(m.scale_.data());
  for (size_t r = 0; r < s.m; ++r) scale[r] = q.scale[r * groups];
  m.t3_ = variant;
  m.t3_weights_ = {s.m, s.k, m.t3_data_.data(), scale,
                   reinterpret_cast<const int32_t*>(m.t3_sign_sum_.data())};
  m.weights_.shape = s;
  m.weights_.uniform_scale = true;
  m.weights_.zero_point = 1;
  m.gemm_ = m.gemm_many_ = gemm;
  m.SelectBuilders(config);
  *out = std::move(m);
  return Status::Ok();
}

Status LutMatrix::CreateWith(const QuantizedMatrix& q, const KernelConfig& config,
                             const kernels::lutgemm::GemmKernel* gemm, LutMatrix* out,
                             memory::HugePageArena* arena, ThreadPool* pool) {
  const kernels::packw::Shape& s = q.shape;
  if (const char* msg = kernels::packw::Validate(s)) {
    return InvalidModel(std::string("lut: ") + msg);
  }
  const size_t groups = Groups(s);
  if (q.q.size() != s.m * s.k || q.scale.size() != s.m * groups ||
      (s.asymmetric && q.zero.size() != s.m * groups)) {
    return InvalidModel("lut: quantized matrix arrays do not match its shape");
  }
  if (gemm == nullptr || gemm->bits != s.bits || !arch::Supports(config.features(), gemm->isa)) {
    return InvalidArgument("lut: the GEMM variant does not match the matrix bit width or this CPU");
  }
  const int max_code = (1 << s.bits) - 1;
  // A branch-free maximum first (vectorized: the load of a 1B-weight model checks every code).
  if (!q.q.empty() && *std::max_element(q.q.begin(), q.q.end()) > max_code) {
    const auto bad = std::find_if(q.q.begin(), q.q.end(), [&](uint8_t v) { return v > max_code; });
    return InvalidModel("lut: code " + std::to_string(*bad) + " at weight " +
                        std::to_string(bad - q.q.begin()) + " does not fit " +
                        std::to_string(s.bits) + " bits");
  }
  const bool float_min = !q.min.empty();
  if (float_min && (!s.asymmetric || q.min.size() != s.m * groups ||
                    std::any_of(q.zero.begin(), q.zero.end(), [](uint8_t z) { return z != 0; }))) {
    return InvalidModel(
        "lut: per-group mins need an asymmetric shape, one min per group and zero points 0");
  }
  if (float_min && gemm->input != kernels::lutgemm::Input::kTables) {
    return InvalidArgument(std::string("lut: ") + gemm->name +
                           " does not read the bias that holds the mins");
  }
  for (uint8_t z : q.zero) {
    if (z > max_code) {
      return InvalidModel("lut: zero point " + std::to_string(z) + " out of range");
    }
  }
  if (gemm->exact && q.uniform_scale) {
    for (size_t r = 0; r < s.m; ++r) {
      for (size_t g = 1; g < groups; ++g) {
        if (q.scale[r * groups + g] != q.scale[r * groups]) {
          return InvalidModel("lut: uniform_scale set but row " + std::to_string(r) +
                              " has several scales");
        }
      }
    }
  }
  const auto* pack = config.packw().pack;
  const size_t count = kernels::packw::ScaleCount(s);
  // One zero point for the whole matrix (Q4_0: 8, ternary: 1): the kernels take it as a
  // constant, and the per-group bias and zero arrays are neither streamed nor kept (packed into
  // heap buffers dropped below, never into the arena, which cannot give memory back).
  const bool one_zero_point =
      s.asymmetric && !q.zero.empty() && !float_min &&
      std::all_of(q.zero.begin(), q.zero.end(), [&](uint8_t z) { return z == q.zero[0]; });
  memory::HugePageArena* kept = one_zero_point ? nullptr : arena;
  LutMatrix m;
  m.bits_ = Allocate(kernels::packw::BitsBytes(s), arena);
  m.scale_ = Allocate(count * sizeof(float), arena);
  m.bias_ = Allocate(count * sizeof(float), kept);
  if (s.asymmetric) m.zero_ = Allocate(count, kept);
  // Tiles are independent in every array: ranges of them pack in parallel, each as a matrix
  // of its own rows (the last range keeps the padded tail tile).
  const size_t groups_all = Groups(s);
  const size_t tile_bits = groups_all * s.bits * 4 * s.group;
  const size_t tile_entries = groups_all * kernels::packw::kTileRows;
  const size_t tiles_per_slice = std::max<size_t>(1, (size_t(1) << 20) / tile_bits);
  const kernels::packw::Unpacked in = q.view();
  ForEachSlice(pool, Tiles(s), tiles_per_slice, [&](size_t t0, size_t t1) {
    kernels::packw::Shape part = s;
    const size_t r0 = t0 * kernels::packw::kTileRows;
    part.m = std::min(s.m, t1 * kernels::packw::kTileRows) - r0;
    const kernels::packw::Unpacked part_in{
        in.q + r0 * s.k, in.scale + r0 * groups_all,
        in.zero != nullptr ? in.zero + r0 * groups_all : nullptr};
    uint8_t* bits = m.bits_.data() + t0 * tile_bits;
    pack->fn(part, part_in,
             {bits, reinterpret_cast<float*>(m.scale_.data()) + t0 * tile_entries,
              reinterpret_cast<float*>(m.bias_.data()) + t0 * tile_entries,
              s.asymmetric ? m.zero_.data() + t0 * tile_entries : nullptr});
    if (gemm->order == kernels::packw::PlaneOrder::kRowQuads) {
      kernels::packw::ToRowQuads(bits, (t1 - t0) * tile_bits);
    }
  });
  if (float_min) {
    // The kernels compute s·(q − (2^b − 1)/2) + bias, which is s·q − min for this bias.
    float* bias = reinterpret_cast<float*>(m.bias_.data());
    const float mid = float(max_code) / 2.0f;
    for (size_t r = 0; r < s.m; ++r) {
      for (size_t g = 0; g < groups; ++g) {
        bias[kernels::packw::ScaleIndex(s, r, g)] =
            q.scale[r * groups + g] * mid - q.min[r * groups + g];
      }
    }
  }
  m.weights_.shape = s;
  m.weights_.order = gemm->order;
  m.weights_.data = {m.bits_.data(), reinterpret_cast<const float*>(m.scale_.data()),
                     reinterpret_cast<const float*>(m.bias_.data()),
                     s.asymmetric ? m.zero_.data() : nullptr};
  m.weights_.uniform_scale = q.uniform_scale;
  if (one_zero_point) {
    m.weights_.zero_point = q.zero[0];
    m.weights_.data.bias = nullptr;
    m.weights_.data.zero = nullptr;
    m.bias_ = AlignedBytes();
    m.zero_ = AlignedBytes();
  }
  m.gemm_ = gemm;
  m.gemm_many_ = gemm;
  m.SelectBuilders(config);
  *out = std::move(m);
  return Status::Ok();
}

Status LutMatrix::CreateView(const kernels::packw::Shape& s, const kernels::packw::Packed& data,
                             bool uniform_scale, const KernelConfig& config, Activations mode,
                             LutMatrix* out) {
  if (const char* msg = kernels::packw::Validate(s)) {
    return InvalidModel(std::string("lut: ") + msg);
  }
  if (data.bits == nullptr || data.scale == nullptr ||
      (s.asymmetric && (data.bias == nullptr || data.zero == nullptr))) {
    return InvalidModel("lut: packed view misses an array its shape needs");
  }
  const bool exact = mode == Activations::kInt8Exact;
  // Mapped bits stay in the file's canonical order (no copy): kernels that read it.
  const LutKernels k = config.LutMapped(s.bits, exact ? LutMode::kExact : LutMode::kFloat);
  if (k.one == nullptr) {
    return InvalidModel("lut: no lookup kernel for " + std::to_string(s.bits) + "-bit weights");
  }
  const size_t count = kernels::packw::ScaleCount(s);
  if (s.asymmetric) {
    const int max_code = (1 << s.bits) - 1;
    const uint8_t zmax = *std::max_element(data.zero, data.zero + count);
    if (zmax > max_code) {
      return InvalidModel("lut: zero point " + std::to_string(zmax) + " out of range for " +
                          std::to_string(s.bits) + "-bit codes");
    }
  }
  LutMatrix m;
  m.weights_.shape = s;
  m.weights_.data = data;
  if (!s.asymmetric) m.weights_.data.zero = nullptr;
  if (s.asymmetric &&
      std::all_of(data.zero, data.zero + count, [&](uint8_t z) { return z == data.zero[0]; })) {
    m.weights_.zero_point = data.zero[0];  // as in Create: the arrays stay in the file, unread
  }
  m.weights_.uniform_scale = uniform_scale;
  m.gemm_ = k.one;
  m.gemm_many_ = k.many;
  m.SelectBuilders(config);
  *out = std::move(m);
  return Status::Ok();
}

LutMatrix LutMatrix::Clone(memory::HugePageArena* arena) const {
  LutMatrix m;
  auto copy = [arena](const AlignedBytes& from, AlignedBytes* to) {
    if (from.size() == 0) return;  // an array the matrix does not keep (bias, zero points)
    *to = Allocate(from.size(), arena);
    std::memcpy(to->data(), from.data(), from.size());
  };
  copy(bits_, &m.bits_);
  copy(scale_, &m.scale_);
  copy(bias_, &m.bias_);
  copy(zero_, &m.zero_);
  m.weights_ = weights_;
  m.weights_.data = {m.bits_.data(), reinterpret_cast<const float*>(m.scale_.data()),
                     reinterpret_cast<const float*>(m.bias_.data()),
                     weights_.data.zero != nullptr ? m.zero_.data() : nullptr};
  m.gemm_ = gemm_;
  m.gemm_many_ = gemm_many_;
  m.build_ = build_;
  m.build_exact_ = build_exact_;
  m.build_int8_ = build_int8_;
  m.build_int8_blocks_ = build_int8_blocks_;
  m.outliers_ = outliers_;
  m.outliers_per_row_ = outliers_per_row_;
  m.from_create_ = from_create_;
  m.mode_ = mode_;
  m.ternary_one_scale_ = ternary_one_scale_;
  if (t3_ != nullptr) {
    copy(t3_data_, &m.t3_data_);
    copy(t3_sign_sum_, &m.t3_sign_sum_);
    m.t3_ = t3_;
    m.t3_weights_ = {t3_weights_.m, t3_weights_.k, m.t3_data_.data(),
                     reinterpret_cast<const float*>(m.scale_.data()),
                     reinterpret_cast<const int32_t*>(m.t3_sign_sum_.data())};
  }
  return m;
}

size_t LutMatrix::PackedBytes() const {
  const auto& s = weights_.shape;
  if (t3_ != nullptr) return t3_data_.size() + t3_sign_sum_.size() + scale_.size();
  const size_t count = kernels::packw::ScaleCount(s);
  const bool arrays = s.asymmetric && weights_.zero_point < 0;  // bias and zero points
  return kernels::packw::BitsBytes(s) + count * sizeof(float) * (arrays ? 2 : 1) +
         (arrays ? count : 0) + s.m * outliers_per_row_ * sizeof(uint32_t);
}

size_t LutMatrix::StreamedBytes() const {
  const auto& s = weights_.shape;
  if (t3_ != nullptr || !(gemm_->exact && weights_.uniform_scale)) return PackedBytes();
  const size_t unread = (kernels::packw::ScaleCount(s) - Tiles(s) * kernels::packw::kTileRows);
  return PackedBytes() - unread * sizeof(float);
}

namespace {

// The sparse part of an outlier-treated matrix, for rows [r0, r1): each entry's fp16 value is
// decoded once and applied to every token.
void ApplyOutliers(const uint32_t* entries, size_t per_row, size_t r0, size_t r1, size_t k,
                   size_t m, size_t n, const float* x, float* y) {
  for (size_t r = r0; r < r1; ++r) {
    const uint32_t* e = entries + r * per_row;
    for (size_t j = 0; j < per_row; ++j) {
      const size_t col = e[j] & 0xFFFF;
      const float v = kernels::f16::HalfToFloat(uint16_t(e[j] >> 16));
      for (size_t t = 0; t < n; ++t) y[t * m + r] += v * x[t * k + col];
    }
  }
}

}  // namespace

uint8_t* LutScratch::Reserve(size_t bytes) {
  if (buffer_.size() < bytes) buffer_ = AlignedBytes(bytes);
  return buffer_.data();
}

namespace {

// A token's max |x|: the scale of its per-token int8 activations (exact mode).
// max |x_i|, NaNs passed over (std::max keeps its first operand), as one running maximum would
// give: max is exact in any order, so 16 independent lanes (which the compiler vectorizes; the
// single chain was a scalar loop, 4% of a TQ2_0 prefill run) reduce to the same value.
float AbsMax(const float* x, size_t k) {
  constexpr size_t kLanes = 16;
  float lane[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= k; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) lane[j] = std::max(lane[j], std::fabs(x[i + j]));
  }
  float amax = 0.0f;
  for (; i < k; ++i) amax = std::max(amax, std::fabs(x[i]));
  for (size_t j = 0; j < kLanes; ++j) amax = std::max(amax, lane[j]);
  return amax;
}

// The ternary3 path: per token, int8 activations (quantized as the exact tables quantize
// them, so both layouts give the same W·A8 result) and their triple tables; then the tiles.
void MultiplyTernary3(const kernels::ternary3::Kernels& t3, const kernels::ternary3::Weights& w,
                      kernels::lutbuild::BuildInt8Fn quantize, uint32_t block, size_t n,
                      const float* x, float* y, ThreadPool& pool, LutScratch& scratch) {
  namespace t3ns = kernels::ternary3;
  const size_t blocks = RoundUp(w.k, block) / block;
  const size_t table_bytes = t3ns::TableBytes(w.k);
  const size_t xq_stride = RoundUp(blocks * block, 64);
  // The quantizer also writes a scale and a sum per block, which this path does not need.
  const size_t spare_stride = RoundUp(2 * blocks * sizeof(float), 64);
  uint8_t* base = scratch.Reserve(n * (table_bytes + xq_stride + spare_stride) +
                                  RoundUp(n * sizeof(float), 64));
  uint8_t* tables = base;  // token t's at t·TableBytes, as the gemm reads them
  int8_t* xq = reinterpret_cast<int8_t*>(tables + n * table_bytes);
  uint8_t* spare = reinterpret_cast<uint8_t*>(xq) + n * xq_stride;
  float* act = reinterpret_cast<float*>(spare + n * spare_stride);
  auto prepare = [&](size_t t) {
    const float* xt = x + t * w.k;
    const float amax = AbsMax(xt, w.k);
    act[t] = amax / 127.0f;
    float* block_scale = reinterpret_cast<float*>(spare + t * spare_stride);
    quantize(w.k, block, xt, amax > 0.0f ? 127.0f / amax : 0.0f, act[t], xq + t * xq_stride,
             block_scale, block_scale + blocks);
    t3.build(w.k, 1, xq + t * xq_stride, xq_stride, tables + t * table_bytes);
  };
  // A pool dispatch costs a few microseconds: a single token is prepared on the caller.
  if (n == 1 || pool.threads() == 1) {
    for (size_t t = 0; t < n; ++t) prepare(t);
  } else {
    pool.ParallelFor(n, prepare);
  }
  const size_t tiles = t3ns::Tiles(w.m);
  const size_t chunks = pool.threads() > 1 ? std::min(tiles, pool.threads() * 4) : 1;
  const size_t per_chunk = (tiles + chunks - 1) / chunks;
  pool.ParallelFor((tiles + per_chunk - 1) / per_chunk, [&](size_t c) {
    const size_t t0 = c * per_chunk, t1 = std::min(tiles, t0 + per_chunk);
    t3.gemm(w, tables, act, n, t0, t1, y, w.m);
  });
}

}  // namespace

void Multiply(const LutMatrix& w, size_t n, const float* x, float* y, ThreadPool& pool,
              LutScratch& scratch) {
  using kernels::lutgemm::Input;
  if (n == 0) return;
  if (w.t3_ != nullptr) {
    MultiplyTernary3(*w.t3_, w.t3_weights_, w.build_int8_, w.weights_.shape.group, n, x, y, pool,
                     scratch);
    return;
  }
  const auto& s = w.weights_.shape;
  const kernels::lutgemm::GemmKernel& gemm = w.gemm(n);
  const Input input = gemm.input;
  const size_t groups = Groups(s), quads = PaddedK(s) / 4;
  const bool int8 = input == Input::kInt8 || input == Input::kInt8Blocks;
  const size_t lut_bytes = int8 ? quads * 4 : input == Input::kTables ? quads * 16 : quads * 32;
  const size_t lut_stride = RoundUp(lut_bytes, 64);
  const size_t floats = RoundUp(groups, 16);
  uint8_t* base = scratch.Reserve(n * (lut_stride + 2 * floats * sizeof(float) + 64));
  uint8_t* lut = base;
  float* tscale = reinterpret_cast<float*>(base + n * lut_stride);
  float* tsum = tscale + n * floats;
  float* act_scale = tsum + n * floats;  // int8 modes: act scale, then inverse, per token

  // Tables: one task per (token, slice of groups). Long rows are split so that a single
  // token's tables are built by all threads; slices are whole groups (= table blocks).
  const size_t threads = pool.threads();
  const size_t min_groups = std::max<size_t>(1, 1024 / s.group);
  size_t slices =
      threads > 1 && n < threads && s.k >= 16384 ? std::min(threads, groups / min_groups) : 1;
  slices = std::max<size_t>(slices, 1);
  const size_t per_slice = (groups + slices - 1) / slices;
  slices = (groups + per_slice - 1) / per_slice;

  // Int8 activations need the token's absmax before any block can be quantized: in the token's
  // own task when it has one (a prompt's tokens on every thread), else first.
  const bool int8_scale = input == Input::kExactTables || input == Input::kInt8;
  auto token_scale = [&](size_t t) {
    const float amax = AbsMax(x + t * s.k, s.k);
    act_scale[2 * t] = amax / 127.0f;
    act_scale[2 * t + 1] = amax > 0.0f ? 127.0f / amax : 0.0f;
  };
  if (int8_scale && slices > 1) {
    for (size_t t = 0; t < n; ++t) token_scale(t);
  }
  auto build = [&](size_t task) {
    const size_t t = task / slices, g0 = (task % slices) * per_slice;
    if (int8_scale && slices == 1) token_scale(t);
    const size_t g1 = std::min(groups, g0 + per_slice);
    const size_t k0 = g0 * s.group, k1 = std::min(s.k, g1 * s.group);
    const float* xt = x + t * s.k + k0;
    uint8_t* tl = lut + t * lut_stride;
    float* sc = tscale + t * floats + g0;
    float* sm = tsum + t * floats + g0;
    switch (input) {
      case Input::kTables:
        w.build_(k1 - k0, s.group, xt, tl + k0 / 4 * 16, sc, sm);
        break;
      case Input::kExactTables:
        w.build_exact_(k1 - k0, s.group, xt, act_scale[2 * t + 1], act_scale[2 * t],
                       tl + k0 / 4 * 16, tl + quads * 16 + k0 / 4 * 16, sc, sm);
        break;
      case Input::kInt8:
        w.build_int8_(k1 - k0, s.group, xt, act_scale[2 * t + 1], act_scale[2 * t],
                      reinterpret_cast<int8_t*>(tl + k0), sc, sm);
        break;
      case Input::kInt8Blocks:
        w.build_int8_blocks_(k1 - k0, s.group, xt, reinterpret_cast<int8_t*>(tl + k0), sc, sm);
        break;
    }
  };
  // A pool dispatch costs a few microseconds: build small inputs on the caller.
  if (n * s.k < 16384 || threads == 1) {
    for (size_t task = 0; task < n * slices; ++task) build(task);
  } else {
    pool.ParallelFor(n * slices, [&](size_t task) { build(task); });
  }

  const kernels::lutgemm::Tables tables{lut, lut_stride, quads * 16, tscale, tsum, floats};
  const size_t tiles = Tiles(s);
  // A few chunks per thread balance uneven progress without splitting tiles too finely.
  const size_t chunks = threads > 1 ? std::min(tiles, threads * 4) : 1;
  const size_t per_chunk = (tiles + chunks - 1) / chunks;
  const auto fn = gemm.fn;
  pool.ParallelFor((tiles + per_chunk - 1) / per_chunk, [&](size_t c) {
    const size_t t0 = c * per_chunk, t1 = std::min(tiles, t0 + per_chunk);
    fn(w.weights_, tables, n, t0, t1, y, s.m);
    if (w.outliers_per_row_ != 0) {
      ApplyOutliers(w.outliers_, w.outliers_per_row_, t0 * kernels::packw::kTileRows,
                    std::min(s.m, t1 * kernels::packw::kTileRows), s.k, s.m, n, x, y);
    }
  });
}

}  // namespace lutra::engine::linear
