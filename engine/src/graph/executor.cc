#include "engine/src/graph/executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lutra::engine::graph {

Expected<std::unique_ptr<Executor>> Executor::Create(const Graph& graph,
                                                     const ExecutorOptions& options,
                                                     size_t threads) {
  if (!graph.status().ok()) return graph.status().failure();
  if (graph.output() < 0) return Internal("executor: the graph has no output");
  if (options.max_tokens == 0 || options.max_seq == 0) {
    return InvalidArgument("executor: max_tokens and context length must be ≥ 1");
  }
  std::unique_ptr<Executor> e(new Executor());
  e->graph_ = &graph;
  e->options_ = options;
  e->options_.max_tokens = std::min(options.max_tokens, options.max_seq);
  const size_t max_tokens = e->options_.max_tokens;
  e->plan_ = PlanMemory(graph, max_tokens, max_tokens);
  // Not value-initialised: pages of rows a run never reaches stay untouched (not resident).
  e->arena_ = std::make_unique_for_overwrite<uint8_t[]>(std::max<size_t>(e->plan_.arena_bytes, 64));
  e->scratch_ = linear::MakeLinearScratch();

  const AttentionDims& a = graph.attention();
  if (a.n_layer > 0) {
    attention::KvShape ks{a.n_layer,       a.n_head_kv, options.max_seq, a.head_dim,
                          options.kv_type, a.window,    max_tokens};
    if (Status s = attention::KvCache::Create(ks, *options.kernels, &e->cache_); !s.ok())
      return s.failure();
    attention::AttentionShape as{a.n_head, a.n_head_kv, a.head_dim, options.max_seq, max_tokens};
    if (Status s = attention::Attention::Create(as, *options.kernels, threads, &e->attention_);
        !s.ok()) {
      return s.failure();
    }
  }
  for (const RopeSpec& spec : graph.ropes()) e->ropes_.emplace_back(spec, options.max_seq);
  e->rmsnorm_ = options.kernels->rmsnorm().fn;
  e->vec_ = options.kernels->vec();
  return e;
}

Status Executor::Rewind(size_t length) {
  if (graph_->attention().n_layer > 0) return cache_.Truncate(length);
  return Status::Ok();
}

Expected<std::span<const float>> Executor::Run(std::span<const int32_t> tokens, bool all_outputs,
                                               ThreadPool& pool) {
  const size_t n = tokens.size(), p0 = position();
  if (n == 0 || n > options_.max_tokens) {
    return InvalidArgument("executor: batch of " + std::to_string(n) + " tokens, expected 1.." +
                           std::to_string(options_.max_tokens));
  }
  for (const Node& node : graph_->nodes()) {
    Status s = RunNode(node, tokens, p0, all_outputs, pool);
    if (!s.ok()) {
      (void)Rewind(p0);  // leave the cache as it was before the failed batch
      return s.failure();
    }
  }
  if (graph_->attention().n_layer > 0) {
    if (Status s = cache_.Advance(n); !s.ok()) return s.failure();
  }
  const int out = graph_->output();
  return std::span<const float>(Value(out), (all_outputs ? n : 1) * graph_->values()[out].width);
}

Status Executor::RunNode(const Node& node, std::span<const int32_t> tokens, size_t p0,
                         bool all_outputs, ThreadPool& pool) {
  const auto& values = graph_->values();
  const size_t n = tokens.size();
  const size_t width = values[node.out].width;
  const size_t rows = values[node.out].per_output && !all_outputs ? 1 : n;
  float* out = Value(node.out);
  const float* in0 = node.in[0] >= 0 ? Value(node.in[0]) : nullptr;
  const float* in1 = node.in[1] >= 0 ? Value(node.in[1]) : nullptr;
  switch (node.op) {
    case Op::kEmbed:
      for (size_t t = 0; t < n; ++t) {
        Status s = linear::DequantizeRows(*node.embed, size_t(tokens[t]), 1, out + t * width);
        if (!s.ok()) return s.failure(node.label + ": ");
        if (node.scale != 1.0f) vec_.scale->fn(width, node.scale, out + t * width, out + t * width);
      }
      return Status::Ok();
    case Op::kRmsNorm:
      for (size_t r = 0; r < rows * width; r += node.group) {
        rmsnorm_(node.group, in0 + r, node.weight, node.eps, out + r);
      }
      return Status::Ok();
    case Op::kLinear: {
      Status s = node.linear->Forward(rows, in0, out, pool, *scratch_);
      if (!s.ok()) return s.failure(node.label + ": ");
      if (node.scale != 1.0f) vec_.scale->fn(rows * width, node.scale, out, out);
      if (node.weight != nullptr) {
        for (size_t t = 0; t < rows; ++t)
          vec_.add->fn(width, out + t * width, node.weight, out + t * width);
      }
      return Status::Ok();
    }
    case Op::kRope: {
      if (out != in0) std::memcpy(out, in0, rows * width * sizeof(float));
      const RopeTable& table = ropes_[node.rope];
      for (size_t t = 0; t < rows; ++t) {
        table.Apply(p0 + t, width / node.group, node.group, out + t * width);
      }
      return Status::Ok();
    }
    case Op::kAttention: {
      // Attention reads positions [0, p0 + n) of this layer, so the new K/V must count as
      // stored; the cache's length is shared by all layers, hence advance for this layer's run
      // and rewind, and advance for good once the last layer has run.
      const float* k = Value(node.in[1]);
      const float* v = Value(node.in[2]);
      Status s = cache_.Write(node.layer, n, k, v);
      if (s.ok()) s = cache_.Advance(n);
      if (!s.ok()) return s.failure(node.label + ": ");
      const Status run =
          attention_.Run(cache_, node.layer, p0, n, in0, out, pool, {node.scale, node.cap});
      if (Status t = cache_.Truncate(p0); !t.ok()) return t.failure(node.label + ": ");
      if (!run.ok()) return run.failure(node.label + ": ");
      return Status::Ok();
    }
    case Op::kGatedAct:
      if (node.act == Activation::kSilu) {
        vec_.silu->fn(rows * width, in0, out);
      } else if (node.act == Activation::kGeluTanh) {
        vec_.gelu->fn(rows * width, in0, out);
      } else {
        for (size_t i = 0; i < rows * width; ++i) {
          const float r = std::max(in0[i], 0.0f);
          out[i] = r * r;
        }
      }
      vec_.mul->fn(rows * width, out, in1, out);
      return Status::Ok();
    case Op::kAdd:
      vec_.add->fn(rows * width, in0, in1, out);
      return Status::Ok();
    case Op::kSoftcap:
      vec_.softcap->fn(rows * width, 1.0f, node.cap, in0, out);
      return Status::Ok();
    case Op::kQuantizeInt8:
      for (size_t t = 0; t < rows; ++t) {
        const float* x = in0 + t * width;
        float* y = out + t * width;
        float amax = 0.0f;
        for (size_t i = 0; i < width; ++i) amax = std::max(amax, std::fabs(x[i]));
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f, step = amax / 127.0f;
        for (size_t i = 0; i < width; ++i) {
          y[i] = std::clamp(std::nearbyint(x[i] * inv), -127.0f, 127.0f) * step;
        }
      }
      return Status::Ok();
    case Op::kSlice: {
      // In place (the plan may give the slice its dying input's block) rows move down only:
      // row t's destination ends before row t + 1's source begins, and memmove handles the
      // overlap within a row.
      const size_t in_width = values[node.in[0]].width;
      for (size_t t = 0; t < rows; ++t) {
        std::memmove(out + t * width, in0 + t * in_width + node.offset, width * sizeof(float));
      }
      return Status::Ok();
    }
    case Op::kSelectOutputs: {
      const float* src = all_outputs ? in0 : in0 + (n - 1) * width;
      if (out != src) std::memmove(out, src, rows * width * sizeof(float));
      return Status::Ok();
    }
  }
  return Internal(node.label + ": unknown op");
}

}  // namespace lutra::engine::graph
