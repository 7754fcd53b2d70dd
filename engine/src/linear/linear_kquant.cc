#include "engine/src/linear/linear_kquant.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "engine/src/memory/huge_page_arena.h"
#include "kernels/kquant/kquant.h"

namespace lutra::engine::linear {
namespace {

namespace kq = kernels::kquant;

// Rows per pool task at least; tasks are few and large otherwise (kTasksPerThread per thread):
// each is one contiguous stretch of the file, a stream the hardware prefetcher follows, and
// one pass is memory-bound from one thread on (interleaving small tasks of two threads made
// decode slower than one thread alone).
constexpr size_t kMinRowsPerTask = 16;
constexpr size_t kTasksPerThread = 4;
// Below this many multiply-adds the caller runs alone: handing over costs more.
constexpr size_t kMinParallelMacs = size_t(1) << 16;
// From this many tokens on, their activations are quantized in parallel.
constexpr size_t kMinParallelTokens = 8;

size_t RowBytes(kq::Format f, size_t cols) {
  return cols / kq::BlockWeights(f) * kq::BlockBytes(f);
}

class KQuantLinear : public Linear {
 public:
  // `copy`: the matrix's bytes in huge pages (null: used from the file mapping at `data`).
  KQuantLinear(size_t rows, size_t cols, gguf::TensorType source, const uint8_t* data,
               std::shared_ptr<uint8_t> copy, const kq::Kernels* kernel)
      : Linear(rows, cols),
        source_(source),
        copy_(std::move(copy)),
        data_(copy_ != nullptr ? copy_.get() : data),
        kernel_(kernel),
        quantizer_(kq::SelectQuantizer(kernel->isa)) {}

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch& scratch) const override {
    const kq::Format f = kernel_->format;
    const size_t k = cols(), groups = k / kq::ScaleGroup(f), sums = k / kq::kSumGroup;
    KQuantActivations& s = scratch.kquant;
    s.q.resize(n * k);
    s.scale.resize(n * groups);
    s.bsum.resize(n * sums);
    auto quantize = [&](size_t t) {
      quantizer_->quantize(f, k, x + t * k, s.q.data() + t * k, s.scale.data() + t * groups,
                           s.bsum.data() + t * sums);
    };
    // A prompt's tokens are quantized on every thread: done by the caller alone, it was the
    // serial part of each matrix product that kept two threads from twice one's speed.
    if (n >= kMinParallelTokens && pool.threads() > 1) {
      pool.ParallelFor(n, quantize);
    } else {
      for (size_t t = 0; t < n; ++t) quantize(t);
    }
    const kq::Weights w{rows(), k, data_, RowBytes(f, k)};
    kq::Activations a{k, n, s.q.data(), s.scale.data(), s.bsum.data(), {}};
    if (n >= kq::kMinTiledTokens) {
      const size_t tiles = kq::TileCount(n);
      s.tiled_q.resize(tiles * k * kq::kTileTokens);
      s.tiled_scale.resize(tiles * groups * kq::kTileTokens);
      s.tiled_sum.resize(tiles * k / kq::TileSumGroup(f) * kq::kTileTokens);
      kq::Interleave(f, a, s.tiled_q.data(), s.tiled_scale.data(), s.tiled_sum.data());
      a.tiles = {s.tiled_q.data(), s.tiled_scale.data(), s.tiled_sum.data()};
    }
    const size_t per_task =
        std::max(kMinRowsPerTask, (rows() + pool.threads() * kTasksPerThread - 1) /
                                      (pool.threads() * kTasksPerThread));
    const size_t tasks = (rows() + per_task - 1) / per_task;
    auto task = [&](size_t i) {
      const size_t r1 = std::min(rows(), (i + 1) * per_task);
      kernel_->gemm(w, a, i * per_task, r1, y, rows());
    };
    if (n * rows() * k < kMinParallelMacs) {
      for (size_t i = 0; i < tasks; ++i) task(i);
    } else {
      pool.ParallelFor(tasks, task);
    }
    return Status::Ok();
  }

  std::string Describe() const override {
    return std::string(gguf::type_traits(uint32_t(source_))->name) +
           (copy_ != nullptr ? " in huge pages, " : " mapped, ") + kernel_->name + ", " +
           std::to_string(StreamedBytes()) + " bytes streamed";
  }
  // Mapped, the matrix is the file's bytes: WeightStore must keep (not drop) their pages; a
  // copy frees them.
  size_t OwnedBytes() const override { return copy_ != nullptr ? StreamedBytes() : 0; }
  size_t StreamedBytes() const override { return rows() * RowBytes(kernel_->format, cols()); }

 private:
  gguf::TensorType source_;
  std::shared_ptr<uint8_t> copy_;
  const uint8_t* data_;
  const kq::Kernels* kernel_;
  const kq::Quantizer* quantizer_;  // of the kernel's ISA
};

// memcpy in slices over the loading pool (a model's matrices are hundreds of MB), each slice's
// source pages handed to `consumed` once copied, so the copy and the mapping are not both
// resident (the output matrix alone is 54 MB in TinyLlama).
void CopyInSlices(const uint8_t* src, size_t bytes, uint8_t* dst, const PlanOptions& options) {
  constexpr size_t kSlice = size_t{4} << 20;
  const size_t slices = (bytes + kSlice - 1) / kSlice;
  auto copy = [&](size_t i) {
    const size_t begin = i * kSlice, n = std::min(kSlice, bytes - begin);
    std::memcpy(dst + begin, src + begin, n);
    if (options.consumed) options.consumed(src + begin, n);
  };
  ThreadPool* pool = options.pool;
  if (pool != nullptr && slices > 1) {
    pool->ParallelFor(slices, copy);
  } else {
    for (size_t i = 0; i < slices; ++i) copy(i);
  }
}

}  // namespace

std::optional<kq::Format> KQuantFormatOf(gguf::TensorType type) {
  using gguf::TensorType;
  switch (type) {
    case TensorType::Q4_K:
      return kq::Format::kQ4K;
    case TensorType::Q5_K:
      return kq::Format::kQ5K;
    case TensorType::Q6_K:
      return kq::Format::kQ6K;
    case TensorType::Q3_K:
      return kq::Format::kQ3K;
    case TensorType::Q2_K:
      return kq::Format::kQ2K;
    case TensorType::Q8_0:
      return kq::Format::kQ8_0;
    case TensorType::Q5_0:
      return kq::Format::kQ5_0;
    case TensorType::Q4_0:
      return kq::Format::kQ4_0;
    case TensorType::IQ4_NL:
      return kq::Format::kIQ4NL;
    case TensorType::IQ4_XS:
      return kq::Format::kIQ4XS;
    case TensorType::IQ2_XXS:
      return kq::Format::kIQ2XXS;
    case TensorType::IQ2_XS:
      return kq::Format::kIQ2XS;
    case TensorType::IQ2_S:
      return kq::Format::kIQ2S;
    case TensorType::IQ3_XXS:
      return kq::Format::kIQ3XXS;
    case TensorType::IQ3_S:
      return kq::Format::kIQ3S;
    case TensorType::IQ1_S:
      return kq::Format::kIQ1S;
    case TensorType::IQ1_M:
      return kq::Format::kIQ1M;
    default:
      return std::nullopt;
  }
}

Expected<std::unique_ptr<Linear>> PlanKQuantLinear(const gguf::TensorInfo& t,
                                                   const PlanOptions& options) {
  const size_t rows = t.shape[1], cols = t.shape[0];
  const std::optional<kq::Format> format = KQuantFormatOf(t.type);
  if (!format) return InvalidModel("tensor '" + t.name + "': not a kquant type");
  if (cols % kq::BlockWeights(*format) != 0 || t.n_bytes != rows * RowBytes(*format, cols)) {
    return InvalidModel("tensor '" + t.name + "': size does not match its type");
  }
  // Decode streams the whole matrix per token; from the file mapping's 4 KiB pages that is a
  // TLB miss every 4 KiB, where the hardware prefetchers stop too. A copy in the arena's huge
  // pages made TinyLlama Q4_0 decode 12% faster on an Intel Xeon (docs/measurements.md) for one
  // memcpy at load, and the file's pages are dropped as the copy is made (OwnedBytes), so the
  // resident size stays the matrix's. Without transparent huge pages the copy would gain
  // nothing, and a model near the memory size is better left mapped (WorthCopyingToHugePages).
  std::shared_ptr<uint8_t> copy;
  if (options.copy_in_place && options.arena != nullptr) {
    copy = options.arena->Allocate(t.n_bytes);  // null (refused): used mapped
    if (copy != nullptr) CopyInSlices(t.data, t.n_bytes, copy.get(), options);
  }
  return std::unique_ptr<Linear>(new KQuantLinear(rows, cols, t.type, t.data, std::move(copy),
                                                  &options.kernels->kquant(*format)));
}

}  // namespace lutra::engine::linear
