#include "engine/src/linear/linear_ternary2.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/src/formats/tensor_encode.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/linear/load_parallel.h"
#include "engine/src/linear/ternary_codes.h"
#include "kernels/ternary2/ternary2.h"

namespace lutra::engine::linear {
namespace {

namespace t2 = kernels::ternary2;
using gguf::TensorType;

// As for q4rows: a few large contiguous row ranges per thread (decode streams one row group
// after another; interleaved small tasks break the prefetcher's streams).
constexpr size_t kMinRowsPerTask = 16;
constexpr size_t kTasksPerThread = 4;
constexpr size_t kMinParallelMacs = size_t(1) << 16;

size_t ScaleBytes(bool uniform, size_t rows, size_t cols) {
  return uniform ? t2::RowScaleCount(rows) * sizeof(float)
                 : t2::BlockScaleCount(rows, cols) * sizeof(uint16_t);
}

linear::AlignedBytes Allocate(size_t bytes, const PlanOptions& options) {
  return options.arena != nullptr ? linear::AlignedBytes(bytes, *options.arena)
                                  : linear::AlignedBytes(bytes);
}

class Ternary2Linear : public Linear {
 public:
  Ternary2Linear(size_t rows, size_t cols, TensorType source, const KernelConfig& config,
                 bool uniform, linear::AlignedBytes codes, linear::AlignedBytes scales)
      : Linear(rows, cols),
        source_(source),
        kernel_(&config.ternary2()),
        quantize_(config.lutbuild().int8->fn),
        uniform_(uniform),
        codes_(std::move(codes)),
        scales_(std::move(scales)) {}

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch& scratch) const override {
    const size_t k = cols(), blocks = t2::Blocks(k), sums = t2::SumCount(k);
    Q8Activations& s = scratch.q8;  // int8 codes, one scale per token, the kernels' sums
    s.q.resize(n * k);
    s.scale.resize(n);
    s.qsum.resize(n * sums);
    s.sum.resize(2 * blocks);  // what the quantizer writes per block and this path ignores
    for (size_t t = 0; t < n; ++t) {
      // The exact lookup path's quantization (lut_matrix.cc), so both give the same outputs.
      const float* xt = x + t * k;
      float amax = 0.0f;
      for (size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(xt[i]));
      s.scale[t] = amax / 127.0f;
      quantize_(k, t2::kBlock, xt, amax > 0.0f ? 127.0f / amax : 0.0f, s.scale[t],
                s.q.data() + t * k, s.sum.data(), s.sum.data() + blocks);
      t2::Sums(k, s.q.data() + t * k, s.qsum.data() + t * sums);
    }
    t2::Weights w{rows(), k, codes_.data(), nullptr, nullptr};
    if (uniform_) {
      w.row_scale = reinterpret_cast<const float*>(scales_.data());
    } else {
      w.block_scale = reinterpret_cast<const uint16_t*>(scales_.data());
    }
    const t2::Activations a{k, n, s.q.data(), s.scale.data(), s.qsum.data()};
    const size_t wanted =
        (rows() + pool.threads() * kTasksPerThread - 1) / (pool.threads() * kTasksPerThread);
    const size_t per_task =
        (std::max(kMinRowsPerTask, wanted) + t2::kRows - 1) / t2::kRows * t2::kRows;
    const size_t tasks = (rows() + per_task - 1) / per_task;
    auto task = [&](size_t i) {
      kernel_->gemm(w, a, i * per_task, std::min(rows(), (i + 1) * per_task), y, rows());
    };
    if (n * rows() * k < kMinParallelMacs) {
      for (size_t i = 0; i < tasks; ++i) task(i);
    } else {
      pool.ParallelFor(tasks, task);
    }
    return Status::Ok();
  }

  std::string Describe() const override {
    return std::string(gguf::type_traits(uint32_t(source_))->name) + " -> ternary2 rows by " +
           std::to_string(t2::kRows) + " int8-exact, " +
           (uniform_ ? "one scale per row" : "fp16 scale per 256") + ", " + kernel_->name + ", " +
           std::to_string(OwnedBytes()) + " bytes";
  }
  size_t OwnedBytes() const override { return codes_.size() + scales_.size(); }
  bool Int8Activations() const override { return true; }

  std::optional<SavedLinear> Save() const override {
    DescriptorWriter d;
    d.Str(kernel_->name);
    d.U64(uniform_ ? 1 : 0);
    return SavedLinear{SavedKind::kTernary2,
                       d.Take(),
                       {{codes_.data(), codes_.size()}, {scales_.data(), scales_.size()}}};
  }

 private:
  TensorType source_;
  const t2::Kernels* kernel_;
  kernels::lutbuild::BuildInt8Fn quantize_;
  bool uniform_;
  linear::AlignedBytes codes_, scales_;
};

}  // namespace

bool Ternary2Fits(const gguf::TensorInfo& t) {
  const bool ternary =
      t.type == TensorType::TQ1_0 || t.type == TensorType::TQ2_0 || t.type == TensorType::I2_S;
  return ternary && t.shape.size() == 2 && t.shape[0] % t2::kBlock == 0 && t.shape[0] <= t2::kMaxK;
}

Expected<std::unique_ptr<Linear>> PlanTernary2Linear(const gguf::TensorInfo& t,
                                                     const PlanOptions& options) {
  if (!Ternary2Fits(t)) {  // PlanLinear has checked
    return InvalidModel("tensor '" + t.name + "': not a ternary matrix of rows by 256");
  }
  const size_t rows = t.shape[1], cols = t.shape[0];
  std::vector<uint8_t> codes;
  std::vector<float> block_scale;
  if (Status s = DecodeTernary(t, options, &codes, &block_scale); !s.ok()) return s.failure();
  const size_t file_block = formats::FormatOf(t.type).weights;
  const bool uniform = UniformRowScales(rows, cols / file_block, block_scale, codes);
  if (!uniform && file_block != t2::kBlock) {  // I2_S has one scale: always uniform
    return InvalidModel("tensor '" + t.name + "': per-block scales of " +
                        std::to_string(file_block) + " weights");
  }
  linear::AlignedBytes packed = Allocate(t2::CodeBytes(rows, cols), options);
  // Row groups of about 1 MiB of codes in parallel.
  const size_t slice_groups = std::max<size_t>(1, (size_t(1) << 20) / (cols * t2::kRows));
  ForEachSlice(options.pool, t2::Groups(rows), slice_groups, [&](size_t g0, size_t g1) {
    const size_t r0 = g0 * t2::kRows, r1 = std::min(rows, g1 * t2::kRows);
    t2::Pack(r1 - r0, cols, codes.data() + r0 * cols, packed.data() + g0 * t2::GroupBytes(cols));
  });
  linear::AlignedBytes scales = Allocate(ScaleBytes(uniform, rows, cols), options);
  if (uniform) {
    // Every block of a row holds the row's scale now (or the row is all zero).
    std::vector<float> d(rows);
    for (size_t r = 0; r < rows; ++r) d[r] = block_scale[r * (cols / file_block)];
    t2::PackRowScales(rows, d.data(), reinterpret_cast<float*>(scales.data()));
  } else {
    // The file's fp16 scales (exact: they were decoded from fp16).
    std::vector<uint16_t> d(block_scale.size());
    for (size_t i = 0; i < d.size(); ++i) d[i] = formats::FloatToHalfBits(block_scale[i]);
    t2::PackBlockScales(rows, cols, d.data(), reinterpret_cast<uint16_t*>(scales.data()));
  }
  return std::unique_ptr<Linear>(new Ternary2Linear(rows, cols, t.type, *options.kernels, uniform,
                                                    std::move(packed), std::move(scales)));
}

Expected<std::unique_ptr<Linear>> RestoreTernary2Linear(const gguf::TensorInfo& t,
                                                        const RestoredLinear& saved,
                                                        const PlanOptions& options) {
  DescriptorReader d(saved.descriptor);
  const std::string_view kernel_name = d.Str();
  const uint64_t uniform = d.U64();
  const size_t rows = t.shape[1], cols = t.shape[0];
  auto mismatch = [&](const std::string& what) {
    return InvalidModel("tensor '" + t.name + "': cached ternary2 matrix does not match: " + what);
  };
  if (!d.ok() || uniform > 1 || !Ternary2Fits(t)) return mismatch("descriptor");
  if (kernel_name != options.kernels->ternary2().name) {
    return mismatch("kernel " + std::string(kernel_name));
  }
  if (saved.arrays.size() != 2 || saved.arrays[0].bytes != t2::CodeBytes(rows, cols) ||
      saved.arrays[1].bytes != ScaleBytes(uniform != 0, rows, cols)) {
    return mismatch("array sizes");
  }
  return std::unique_ptr<Linear>(
      new Ternary2Linear(rows, cols, t.type, *options.kernels, uniform != 0,
                         linear::AlignedBytes(saved.arrays[0].data, saved.arrays[0].bytes),
                         linear::AlignedBytes(saved.arrays[1].data, saved.arrays[1].bytes)));
}

}  // namespace lutra::engine::linear
