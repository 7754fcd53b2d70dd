// XNNPACK behind one small adapter: dense fully-connected operators for tensors kept in high
// precision, and the baselines of the benchmarks. Hides the 2022 (create -> setup -> run) and
// 2023+ (create -> reshape -> setup -> run) operator APIs; see LUTRA_XNN_HAS_RESHAPE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/src/common/status.h"

struct xnn_operator;
struct pthreadpool;

namespace lutra::engine::linear {

// Initialises XNNPACK once per process; an error when this CPU is unsupported.
Status XnnInitialize();

// y[n, out] = x[n, in] · W[out, in]ᵀ (+ bias), fp32.
class XnnFullyConnectedF32 {
 public:
  XnnFullyConnectedF32() = default;
  ~XnnFullyConnectedF32();
  XnnFullyConnectedF32(const XnnFullyConnectedF32&) = delete;
  XnnFullyConnectedF32& operator=(const XnnFullyConnectedF32&) = delete;

  // XNNPACK packs `weights` (row-major [out, in]) at creation; the caller may free them after.
  Status Create(size_t in, size_t out, const float* weights, const float* bias);
  Status Run(size_t batch, const float* x, float* y, pthreadpool* pool);

 private:
  xnn_operator* op_ = nullptr;
};

// Symmetric int8 fully-connected (XNNPACK qs8): y = requantize(x_q · W_qᵀ), the int8 baseline.
class XnnFullyConnectedQS8 {
 public:
  XnnFullyConnectedQS8() = default;
  ~XnnFullyConnectedQS8();
  XnnFullyConnectedQS8(const XnnFullyConnectedQS8&) = delete;
  XnnFullyConnectedQS8& operator=(const XnnFullyConnectedQS8&) = delete;

  Status Create(size_t in, size_t out, const int8_t* weights, float input_scale, float weight_scale,
                float output_scale);
  Status Run(size_t batch, const int8_t* x, int8_t* y, pthreadpool* pool);

 private:
  xnn_operator* op_ = nullptr;
};

// Softmax over rows of `channels` floats (XNNPACK's three-pass operator), a benchmark baseline.
class XnnSoftmaxF32 {
 public:
  XnnSoftmaxF32() = default;
  ~XnnSoftmaxF32();
  XnnSoftmaxF32(const XnnSoftmaxF32&) = delete;
  XnnSoftmaxF32& operator=(const XnnSoftmaxF32&) = delete;

  Status Create(size_t channels);
  Status Run(size_t rows, const float* x, float* y, pthreadpool* pool);

 private:
  xnn_operator* op_ = nullptr;
  size_t channels_ = 0;
};

}  // namespace lutra::engine::linear
