#include "engine/src/linear/linear_dense.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "arch/detect.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/linear/xnn_dense.h"
#include "kernels/vec/vec.h"

namespace lutra::engine::linear {

using formats::DecodeBlocks;
using formats::FormatOf;
namespace {

constexpr size_t kMinParallelMacs = size_t(1) << 18;

class DenseLinear : public Linear {
 public:
  DenseLinear(size_t rows, size_t cols, gguf::TensorType source)
      : Linear(rows, cols), source_(source) {}

  Status Init(const float* weights) { return op_.Create(cols(), rows(), weights, nullptr); }

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch&) const override {
    // Sessions on several threads share the model; the operator's setup is per call state.
    std::lock_guard<std::mutex> lock(mu_);
    // Small products run on the caller: below ~256K multiply-adds a thread hand-over costs
    // more than it saves, and the XNNPACK pool is not started at all for tiny models.
    pthreadpool* threads = n * rows() * cols() >= kMinParallelMacs ? pool.handle() : nullptr;
    return op_.Run(n, x, y, threads);
  }

  std::string Describe() const override {
    return std::string(gguf::type_traits(uint32_t(source_))->name) + " -> fp32 dense (XNNPACK " +
           "fully_connected_nc_f32), " + std::to_string(OwnedBytes()) + " bytes";
  }

  // XNNPACK's packed copy: fp32 weights plus a bias row.
  size_t OwnedBytes() const override { return (rows() * cols() + rows()) * sizeof(float); }

 private:
  gguf::TensorType source_;
  // Run() changes the operator's setup (batch size, pointers), not the weights. Sessions on
  // different threads may share one model (lutra.h), so runs are serialized: XNNPACK 2022 has
  // no way to share packed weights between operators, and one operator per session would copy
  // them.
  mutable std::mutex mu_;
  mutable XnnFullyConnectedF32 op_;
};

// y[t, r] = dot(W[r], x[t]) with the vec dot kernel; rows in blocks across the pool, so each
// weight row is read once per call while it serves every token.
class VecDenseLinear : public Linear {
 public:
  VecDenseLinear(size_t rows, size_t cols, gguf::TensorType source, std::vector<float> weights,
                 const kernels::Kernel<kernels::vec::DotFn>* dot)
      : Linear(rows, cols), source_(source), weights_(std::move(weights)), dot_(dot) {}

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch&) const override {
    constexpr size_t kRowsPerTask = 16;
    const size_t tasks = (rows() + kRowsPerTask - 1) / kRowsPerTask;
    pool.ParallelFor(tasks, [&](size_t task) {
      const size_t r1 = std::min(rows(), (task + 1) * kRowsPerTask);
      for (size_t r = task * kRowsPerTask; r < r1; ++r) {
        const float* w = weights_.data() + r * cols();
        for (size_t t = 0; t < n; ++t) y[t * rows() + r] = dot_->fn(cols(), w, x + t * cols());
      }
    });
    return Status::Ok();
  }

  std::string Describe() const override {
    return std::string(gguf::type_traits(uint32_t(source_))->name) + " -> fp32 dense (" +
           dot_->name + "), " + std::to_string(OwnedBytes()) + " bytes";
  }
  size_t OwnedBytes() const override { return weights_.size() * sizeof(float); }

 private:
  gguf::TensorType source_;
  std::vector<float> weights_;
  const kernels::Kernel<kernels::vec::DotFn>* dot_;
};

bool XnnpackRunsHere() {
#if defined(__riscv)
  return (arch::Host().features & arch::kRVV) != 0;
#else
  return true;
#endif
}

}  // namespace

Expected<std::unique_ptr<Linear>> PlanDenseLinear(const gguf::TensorInfo& t,
                                                  const PlanOptions& options) {
  const size_t rows = t.shape[1], cols = t.shape[0];
  std::vector<float> w(rows * cols);
  DecodeBlocks(t.type, t.data, rows * cols / FormatOf(t.type).weights, w.data());
  if (!XnnpackRunsHere()) {
    return std::unique_ptr<Linear>(
        new VecDenseLinear(rows, cols, t.type, std::move(w), options.kernels->vec().dot));
  }
  auto linear = std::make_unique<DenseLinear>(rows, cols, t.type);
  if (Status s = linear->Init(w.data()); !s.ok()) {
    return s.failure("tensor '" + t.name + "': ");
  }
  return std::unique_ptr<Linear>(std::move(linear));
}

}  // namespace lutra::engine::linear
