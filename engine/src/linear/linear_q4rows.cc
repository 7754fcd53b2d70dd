#include "engine/src/linear/linear_q4rows.h"

#include <algorithm>

#include "engine/src/linear/load_parallel.h"
#include "kernels/q4rows/q4rows.h"

namespace lutra::engine::linear {
namespace {

namespace q4 = kernels::q4rows;

// Rows per pool task at least (a multiple of the row group); otherwise a few large contiguous
// tasks per thread, as for kquant: decode streams one row group after another.
constexpr size_t kMinRowsPerTask = 16;
constexpr size_t kTasksPerThread = 4;
constexpr size_t kMinParallelMacs = size_t(1) << 16;

class Q4RowsLinear : public Linear {
 public:
  Q4RowsLinear(size_t rows, size_t cols, const q4::Kernels* kernel, linear::AlignedBytes packed)
      : Linear(rows, cols), kernel_(kernel), packed_(std::move(packed)) {}

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch& scratch) const override {
    const size_t k = cols(), spans = q4::Spans(k);
    Q8Activations& s = scratch.q8;  // the int8 codes and one scale per span
    s.q.resize(n * k);
    s.scale.resize(n * spans);
    for (size_t t = 0; t < n; ++t) {
      q4::Quantize(k, x + t * k, s.q.data() + t * k, s.scale.data() + t * spans);
    }
    const q4::Weights w{rows(), k, packed_.data()};
    const q4::Activations a{k, n, s.q.data(), s.scale.data()};
    const size_t wanted =
        (rows() + pool.threads() * kTasksPerThread - 1) / (pool.threads() * kTasksPerThread);
    const size_t per_task =
        (std::max(kMinRowsPerTask, wanted) + q4::kRows - 1) / q4::kRows * q4::kRows;
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
    return std::string("Q4_0 -> rows by ") + std::to_string(q4::kRows) + " with fp16 scales (" +
           kernel_->name + "), " + std::to_string(OwnedBytes()) + " bytes";
  }
  size_t OwnedBytes() const override { return packed_.size(); }

  std::optional<SavedLinear> Save() const override {
    DescriptorWriter d;
    d.Str(kernel_->name);
    return SavedLinear{SavedKind::kQ4Rows, d.Take(), {{packed_.data(), packed_.size()}}};
  }

 private:
  const q4::Kernels* kernel_;
  linear::AlignedBytes packed_;
};

}  // namespace

Expected<std::unique_ptr<Linear>> PlanQ4RowsLinear(const gguf::TensorInfo& t,
                                                   const PlanOptions& options) {
  const size_t rows = t.shape[1], cols = t.shape[0];
  if (t.type != gguf::TensorType::Q4_0 || cols % q4::kBlock != 0 ||
      t.n_bytes != rows * cols / q4::kBlock * q4::kQ4_0BlockBytes) {
    return InvalidModel("tensor '" + t.name + "': not a Q4_0 matrix");  // PlanLinear checked
  }
  const size_t bytes = q4::PackedBytes(rows, cols);
  linear::AlignedBytes packed = options.arena != nullptr
                                    ? linear::AlignedBytes(bytes, *options.arena)
                                    : linear::AlignedBytes(bytes);
  // Row groups of about 1 MiB of source in parallel, each slice's source pages released once
  // packed (PlanOptions::consumed).
  const size_t row_bytes = cols / q4::kBlock * q4::kQ4_0BlockBytes;
  const size_t groups = q4::Groups(rows);
  const size_t slice_groups = std::max<size_t>(1, (size_t(1) << 20) / (row_bytes * q4::kRows));
  ForEachSlice(options.pool, groups, slice_groups, [&](size_t g0, size_t g1) {
    const size_t r0 = g0 * q4::kRows, r1 = std::min(rows, g1 * q4::kRows);
    q4::Pack(r1 - r0, cols, t.data + r0 * row_bytes, packed.data() + g0 * q4::GroupBytes(cols));
    if (options.consumed) options.consumed(t.data + r0 * row_bytes, (r1 - r0) * row_bytes);
  });
  return std::unique_ptr<Linear>(
      new Q4RowsLinear(rows, cols, &options.kernels->q4rows(), std::move(packed)));
}

Expected<std::unique_ptr<Linear>> RestoreQ4RowsLinear(const gguf::TensorInfo& t,
                                                      const RestoredLinear& saved,
                                                      const PlanOptions& options) {
  DescriptorReader d(saved.descriptor);
  const std::string_view kernel_name = d.Str();
  const q4::Kernels* kernel = &options.kernels->q4rows();
  const size_t rows = t.shape[1], cols = t.shape[0];
  auto mismatch = [&](const std::string& what) {
    return InvalidModel("tensor '" + t.name + "': cached q4rows matrix does not match: " + what);
  };
  if (!d.ok() || t.type != gguf::TensorType::Q4_0 || cols % q4::kBlock != 0) {
    return mismatch("descriptor");
  }
  if (kernel_name != kernel->name) return mismatch("kernel " + std::string(kernel_name));
  if (saved.arrays.size() != 1 || saved.arrays[0].bytes != q4::PackedBytes(rows, cols)) {
    return mismatch("array size");
  }
  return std::unique_ptr<Linear>(new Q4RowsLinear(
      rows, cols, kernel, linear::AlignedBytes(saved.arrays[0].data, saved.arrays[0].bytes)));
}

}  // namespace lutra::engine::linear
