#include "engine/src/model/linear_dense.h"

#include <vector>

#include "engine/src/model/tensor_formats.h"
#include "engine/src/xnn/xnn_dense.h"

namespace lutra::engine::model {
namespace {

class DenseLinear : public Linear {
 public:
  DenseLinear(size_t rows, size_t cols, gguf::TensorType source)
      : Linear(rows, cols), source_(source) {}

  Status Init(const float* weights) {
    std::string error;
    if (!op_.Create(cols(), rows(), weights, nullptr, &error)) return Error{error};
    return Status::Ok();
  }

  Status Forward(size_t n, const float* x, float* y, ThreadPool& pool,
                 LinearScratch&) const override {
    std::string error;
    if (!op_.Run(n, x, y, pool.handle(), &error)) return Error{error};
    return Status::Ok();
  }

  std::string Describe() const override {
    return std::string(gguf::type_traits(uint32_t(source_))->name) + " -> fp32 dense (XNNPACK " +
           "fully_connected_nc_f32), " + std::to_string(OwnedBytes()) + " bytes";
  }

  // XNNPACK's packed copy: fp32 weights plus a bias row.
  size_t OwnedBytes() const override { return (rows() * cols() + rows()) * sizeof(float); }

 private:
  gguf::TensorType source_;
  // Run() changes the operator's setup (batch size, pointers), not the weights; Forward is
  // never called concurrently on one Linear (linear.h).
  mutable XnnFullyConnectedF32 op_;
};

}  // namespace

Expected<std::unique_ptr<Linear>> PlanDenseLinear(const gguf::TensorInfo& t) {
  const size_t rows = t.shape[1], cols = t.shape[0];
  std::vector<float> w(rows * cols);
  DecodeBlocks(t.type, t.data, rows * cols / FormatOf(t.type).weights, w.data());
  auto linear = std::make_unique<DenseLinear>(rows, cols, t.type);
  if (Status s = linear->Init(w.data()); !s.ok()) {
    return Error{"tensor '" + t.name + "': " + s.error()};
  }
  return std::unique_ptr<Linear>(std::move(linear));
}

}  // namespace lutra::engine::model
