#include "engine/src/linear/linear_q8block.h"

#include <algorithm>
#include <vector>

#include "engine/src/formats/kquant_formats.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/linear/load_parallel.h"
#include "kernels/q8block/q8block.h"

namespace lutra::engine::linear {

using formats::CodeBlock;
using formats::CodesHaveMin;
using formats::DecodeKQuantCodes;
using formats::FormatOf;
namespace {

namespace q8 = kernels::q8block;

// Rows per pool task: a multiple of every variant's row group, small enough that two
// threads get tens of tasks on the smallest matrices (256 rows for GQA's K and V).
constexpr size_t kRowsPerTask = 16;
// Below this many multiply-adds the caller runs alone: handing over costs more.
constexpr size_t kMinParallelMacs = size_t(1) << 16;

bool CacheWorthy(gguf::TensorType t) {
  return t != gguf::TensorType::Q8_0 && t != gguf::TensorType::Q5_0 && t != gguf::TensorType::Q5_1;
}

class Q8BlockLinear : public Linear {
 public:
  Q8BlockLinear(size_t rows, size_t cols, gguf::TensorType source, size_t block, bool with_min,
                const q8::Kernels* kernel, memory::HugePageArena* arena)
      : Linear(rows, cols), source_(source), block_(block), kernel_(kernel) {
    const size_t bytes = StorageBytes(rows, cols, block, with_min);
    SetStorage(arena != nullptr ? linear::AlignedBytes(bytes, *arena) : linear::AlignedBytes(bytes),
               with_min);
  }
  // Around storage read back from the repack cache (StorageBytes(...) bytes, 64-aligned).
  Q8BlockLinear(size_t rows, size_t cols, gguf::TensorType source, size_t block, bool with_min,
                const q8::Kernels* kernel, linear::AlignedBytes storage)
      : Linear(rows, cols), source_(source), block_(block), kernel_(kernel) {
    SetStorage(std::move(storage), with_min);
  }

  static size_t StorageBytes(size_t rows, size_t cols, size_t block, bool with_min) {
    return Align(rows * cols) + rows * cols / block * sizeof(float) * (with_min ? 2 : 1);
  }

  int8_t* codes() { return codes_; }
  float* scales() { return scales_; }
  float* mins() { return mins_; }

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch& scratch) const override {
    const size_t k = cols(), blocks = k / block_;
    Q8Activations& s = scratch.q8;
    s.q.resize(n * k);
    s.scale.resize(n * blocks);
    s.sum.resize(n * blocks);
    s.qsum.resize(n * blocks);
    for (size_t t = 0; t < n; ++t) {
      q8::Quantize(k, block_, x + t * k, s.q.data() + t * k, s.scale.data() + t * blocks,
                   s.sum.data() + t * blocks, s.qsum.data() + t * blocks);
    }
    const q8::Weights w{rows(), k, block_, codes_, scales_, mins_};
    const q8::Activations a{k, block_, n, s.q.data(), s.scale.data(), s.sum.data(), s.qsum.data()};
    const size_t tasks = (rows() + kRowsPerTask - 1) / kRowsPerTask;
    auto task = [&](size_t i) {
      const size_t r1 = std::min(rows(), (i + 1) * kRowsPerTask);
      kernel_->gemm(w, a, i * kRowsPerTask, r1, y, rows());
    };
    if (n * rows() * k < kMinParallelMacs) {
      for (size_t i = 0; i < tasks; ++i) task(i);
    } else {
      pool.ParallelFor(tasks, task);
    }
    return Status::Ok();
  }

  std::string Describe() const override {
    return std::string(gguf::type_traits(uint32_t(source_))->name) + " -> int8 codes, scale" +
           (mins_ != nullptr ? " and min" : "") + " per " + std::to_string(block_) + " (" +
           kernel_->name + "), " + std::to_string(OwnedBytes()) + " bytes";
  }
  size_t OwnedBytes() const override { return storage_.size(); }

  std::optional<SavedLinear> Save() const override {
    // Q8_0, Q5_0 and Q5_1 decode to codes at memory speed: reading a cached copy would be no
    // faster than repacking and would put another copy of the file on the disk. The k-quants'
    // nested scales are worth keeping (docs/cache.md).
    if (!CacheWorthy(source_)) return std::nullopt;
    DescriptorWriter d;
    d.U64(uint64_t(source_));
    d.U64(block_);
    d.U64(mins_ != nullptr);
    d.Str(kernel_->name);
    return SavedLinear{SavedKind::kQ8Block, d.Take(), {{storage_.data(), storage_.size()}}};
  }

 private:
  static size_t Align(size_t bytes) { return (bytes + 63) / 64 * 64; }

  void SetStorage(linear::AlignedBytes storage, bool with_min) {
    storage_ = std::move(storage);
    const size_t blocks = rows() * cols() / block_;
    codes_ = reinterpret_cast<int8_t*>(storage_.data());
    scales_ = reinterpret_cast<float*>(storage_.data() + Align(rows() * cols()));
    mins_ = with_min ? scales_ + blocks : nullptr;
  }

  gguf::TensorType source_;
  size_t block_;
  const q8::Kernels* kernel_;
  linear::AlignedBytes storage_;
  int8_t* codes_ = nullptr;
  float* scales_ = nullptr;
  float* mins_ = nullptr;
};

}  // namespace

Expected<std::unique_ptr<Linear>> PlanQ8BlockLinear(const gguf::TensorInfo& t,
                                                    const PlanOptions& options) {
  const size_t rows = t.shape[1], cols = t.shape[0];
  const size_t block = CodeBlock(t.type);
  const size_t format_weights = FormatOf(t.type).weights;
  if (block == 0 || format_weights == 0 || cols % format_weights != 0) {
    return InvalidModel("tensor '" + t.name + "': not a q8block format");  // PlanLinear checked
  }
  auto linear = std::make_unique<Q8BlockLinear>(rows, cols, t.type, block, CodesHaveMin(t.type),
                                                &options.kernels->q8block(), options.arena);
  // In slices of rows, each slice's source pages released once decoded (PlanOptions::consumed),
  // so a large matrix (the output head) is not resident twice at the load's peak.
  const size_t blocks_per_row = cols / format_weights, codes_per_row = cols / block;
  const size_t row_bytes = blocks_per_row * FormatOf(t.type).bytes;
  const size_t slice_rows = std::max<size_t>(1, (size_t(1) << 20) / row_bytes);
  // Slices decode in parallel on the loading pool, each into its own rows.
  ForEachSlice(options.pool, rows, slice_rows, [&](size_t r0, size_t r1) {
    const size_t n = r1 - r0;
    std::vector<float> discarded_mins;  // formats without mins: the decoder writes zeros here
    float* mins = linear->mins() != nullptr ? linear->mins() + r0 * codes_per_row : nullptr;
    if (mins == nullptr) {
      discarded_mins.resize(n * codes_per_row);
      mins = discarded_mins.data();
    }
    DecodeKQuantCodes(t.type, t.data + r0 * row_bytes, n * blocks_per_row,
                      linear->codes() + r0 * cols, linear->scales() + r0 * codes_per_row, mins);
    if (options.consumed) options.consumed(t.data + r0 * row_bytes, n * row_bytes);
  });
  return std::unique_ptr<Linear>(std::move(linear));
}

Expected<std::unique_ptr<Linear>> RestoreQ8BlockLinear(const gguf::TensorInfo& t,
                                                       const RestoredLinear& saved,
                                                       const PlanOptions& options) {
  DescriptorReader d(saved.descriptor);
  const uint64_t source = d.U64(), block = d.U64();
  const bool with_min = d.U64() != 0;
  const std::string_view kernel_name = d.Str();
  const q8::Kernels* kernel = &options.kernels->q8block();
  const size_t rows = t.shape[1], cols = t.shape[0];
  auto mismatch = [&](const std::string& what) {
    return InvalidModel("tensor '" + t.name + "': cached q8block matrix does not match: " + what);
  };
  if (!d.ok() || source != uint64_t(t.type) || block != CodeBlock(t.type) || block == 0 ||
      cols % block != 0 || with_min != CodesHaveMin(t.type)) {
    return mismatch("descriptor");
  }
  if (kernel_name != kernel->name) return mismatch("kernel " + std::string(kernel_name));
  if (saved.arrays.size() != 1 ||
      saved.arrays[0].bytes != Q8BlockLinear::StorageBytes(rows, cols, block, with_min) ||
      reinterpret_cast<uintptr_t>(saved.arrays[0].data.get()) % 64 != 0) {
    return mismatch("array size");
  }
  return std::unique_ptr<Linear>(
      new Q8BlockLinear(rows, cols, t.type, block, with_min, kernel,
                        linear::AlignedBytes(saved.arrays[0].data, saved.arrays[0].bytes)));
}

}  // namespace lutra::engine::linear
