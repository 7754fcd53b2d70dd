#include "engine/src/linear/xnn_dense.h"

#include <xnnpack.h>

#include <cmath>
#include <limits>
#include <mutex>

namespace lutra::engine::linear {
namespace {

Status Check(xnn_status status, const char* what) {
  if (status == xnn_status_success) return Status::Ok();
  if (status == xnn_status_out_of_memory) {
    return OutOfMemory(std::string("XNNPACK ") + what + ": cannot allocate memory (out of memory)");
  }
  return Internal(std::string("XNNPACK ") + what + " failed with status " +
                  std::to_string(static_cast<int>(status)));
}

void Delete(xnn_operator*& op) {
  if (op != nullptr) xnn_delete_operator(op);
  op = nullptr;
}

// Two XNNPACK API generations are supported: Debian 12's 2022-02 snapshot (create -> setup ->
// run) and the 2023+ one of Debian 13 and later (create with code/weights cache arguments ->
// reshape with shapes and thread pool -> setup with pointers -> run), told apart at configure
// time by xnn_reshape_fully_connected_nc_f32. Snapshots from late 2022 with caches but no
// reshape step are not supported. LUTRA_XNN_OUT(op) ends a create call's arguments.
#if LUTRA_XNN_HAS_RESHAPE
#define LUTRA_XNN_OUT(op) /*code_cache=*/ nullptr, /*weights_cache=*/nullptr, &(op)
#else
#define LUTRA_XNN_OUT(op) &(op)
#endif

}  // namespace

Status XnnInitialize() {
  static xnn_status status = xnn_initialize(/*allocator=*/nullptr);
  return Check(status, "initialisation (is this CPU supported?)");
}

XnnFullyConnectedF32::~XnnFullyConnectedF32() {
  Delete(op_);
}

Status XnnFullyConnectedF32::Create(size_t in, size_t out, const float* weights,
                                    const float* bias) {
  if (Status s = XnnInitialize(); !s.ok()) return s;
  Delete(op_);
  return Check(xnn_create_fully_connected_nc_f32(
                   in, out, in, out, weights, bias, -std::numeric_limits<float>::infinity(),
                   std::numeric_limits<float>::infinity(), 0, LUTRA_XNN_OUT(op_)),
               "create_fully_connected_nc_f32");
}

Status XnnFullyConnectedF32::Run(size_t batch, const float* x, float* y, pthreadpool* pool) {
  Status s;
#if LUTRA_XNN_HAS_RESHAPE
  if (!(s = Check(xnn_reshape_fully_connected_nc_f32(op_, batch, pool),
                  "reshape_fully_connected_nc_f32")) ||
      !(s = Check(xnn_setup_fully_connected_nc_f32(op_, x, y), "setup_fully_connected_nc_f32"))) {
    return s;
  }
#else
  if (!(s = Check(xnn_setup_fully_connected_nc_f32(op_, batch, x, y, pool),
                  "setup_fully_connected_nc_f32"))) {
    return s;
  }
#endif
  return Check(xnn_run_operator(op_, pool), "run_operator");
}

XnnFullyConnectedQS8::~XnnFullyConnectedQS8() {
  Delete(op_);
}

Status XnnFullyConnectedQS8::Create(size_t in, size_t out, const int8_t* weights, float input_scale,
                                    float weight_scale, float output_scale) {
  if (Status s = XnnInitialize(); !s.ok()) return s;
  Delete(op_);
  return Check(xnn_create_fully_connected_nc_qs8(in, out, in, out, /*input_zero_point=*/0,
                                                 input_scale, weight_scale, weights,
                                                 /*bias=*/nullptr, /*output_zero_point=*/0,
                                                 output_scale, -128, 127, 0, LUTRA_XNN_OUT(op_)),
               "create_fully_connected_nc_qs8");
}

Status XnnFullyConnectedQS8::Run(size_t batch, const int8_t* x, int8_t* y, pthreadpool* pool) {
  Status s;
#if LUTRA_XNN_HAS_RESHAPE
  if (!(s = Check(xnn_reshape_fully_connected_nc_qs8(op_, batch, pool),
                  "reshape_fully_connected_nc_qs8")) ||
      !(s = Check(xnn_setup_fully_connected_nc_qs8(op_, x, y), "setup_fully_connected_nc_qs8"))) {
    return s;
  }
#else
  if (!(s = Check(xnn_setup_fully_connected_nc_qs8(op_, batch, x, y, pool),
                  "setup_fully_connected_nc_qs8"))) {
    return s;
  }
#endif
  return Check(xnn_run_operator(op_, pool), "run_operator");
}

XnnSoftmaxF32::~XnnSoftmaxF32() {
  Delete(op_);
}

Status XnnSoftmaxF32::Create(size_t channels) {
  if (Status s = XnnInitialize(); !s.ok()) return s;
  Delete(op_);
  channels_ = channels;
#if LUTRA_XNN_HAS_RESHAPE
  return Check(xnn_create_softmax_nc_f32(0, &op_), "create_softmax_nc_f32");
#else
  return Check(xnn_create_softmax_nc_f32(channels, channels, channels, 0, &op_),
               "create_softmax_nc_f32");
#endif
}

Status XnnSoftmaxF32::Run(size_t rows, const float* x, float* y, pthreadpool* pool) {
  Status s;
#if LUTRA_XNN_HAS_RESHAPE
  if (!(s = Check(xnn_reshape_softmax_nc_f32(op_, channels_, channels_, channels_, rows, pool),
                  "reshape_softmax_nc_f32")) ||
      !(s = Check(xnn_setup_softmax_nc_f32(op_, x, y), "setup_softmax_nc_f32"))) {
    return s;
  }
#else
  if (!(s = Check(xnn_setup_softmax_nc_f32(op_, rows, x, y, pool), "setup_softmax_nc_f32"))) {
    return s;
  }
#endif
  return Check(xnn_run_operator(op_, pool), "run_operator");
}

}  // namespace lutra::engine::linear
