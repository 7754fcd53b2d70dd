#include "engine/src/graph/graph.h"

#include <cmath>
#include <utility>

namespace lutra::engine::graph {

bool Graph::Check(bool ok, const std::string& label, const std::string& what) {
  if (!ok && status_.ok()) status_ = InvalidModel("graph: node '" + label + "': " + what);
  return ok;
}

int Graph::Emit(Node node, size_t width, bool per_output) {
  if (!status_.ok()) return -1;
  values_.push_back({width, per_output});
  node.out = static_cast<int>(values_.size() - 1);
  nodes_.push_back(std::move(node));
  return nodes_.back().out;
}

int Graph::Embed(const gguf::TensorInfo* table, size_t width, float scale, std::string label) {
  if (!Check(table != nullptr && width > 0, label, "missing table or zero width")) return -1;
  Node n;
  n.op = Op::kEmbed;
  n.embed = table;
  n.scale = scale;
  n.label = std::move(label);
  return Emit(std::move(n), width, false);
}

int Graph::RmsNorm(int x, const float* weight, size_t group, float eps, std::string label) {
  if (!Check(Valid(x) && weight != nullptr, label, "bad input or missing weight")) return -1;
  const size_t width = values_[x].width;
  if (!Check(group > 0 && width % group == 0, label,
             "group " + std::to_string(group) + " does not divide width " + std::to_string(width)))
    return -1;
  Node n;
  n.op = Op::kRmsNorm;
  n.in[0] = x;
  n.weight = weight;
  n.group = group;
  n.eps = eps;
  n.label = std::move(label);
  return Emit(std::move(n), width, values_[x].per_output);
}

int Graph::Linear(int x, const linear::Linear* w, const float* bias, std::string label,
                  float scale) {
  if (!Check(Valid(x) && w != nullptr, label, "bad input or missing weight")) return -1;
  if (!Check(w->cols() == values_[x].width, label,
             "weight has " + std::to_string(w->cols()) + " columns, input width is " +
                 std::to_string(values_[x].width)))
    return -1;
  Node n;
  n.op = Op::kLinear;
  n.in[0] = x;
  n.linear = w;
  n.weight = bias;
  n.scale = scale;
  n.label = std::move(label);
  return Emit(std::move(n), w->rows(), values_[x].per_output);
}

int Graph::Rope(int x, size_t head_dim, size_t rope, std::string label) {
  if (!Check(Valid(x) && rope < ropes_.size(), label, "bad input or rope spec")) return -1;
  const size_t width = values_[x].width;
  if (!Check(head_dim > 0 && width % head_dim == 0 && ropes_[rope].n_rot <= head_dim, label,
             "head_dim " + std::to_string(head_dim) + " does not fit width " +
                 std::to_string(width) + " / n_rot " + std::to_string(ropes_[rope].n_rot)))
    return -1;
  Node n;
  n.op = Op::kRope;
  n.in[0] = x;
  n.group = head_dim;
  n.rope = rope;
  n.label = std::move(label);
  return Emit(std::move(n), width, values_[x].per_output);
}

int Graph::Attention(int q, int k, int v, size_t layer, std::string label, float scale,
                     float softcap) {
  if (!Check(Valid(q) && Valid(k) && Valid(v), label, "bad input")) return -1;
  if (!Check(std::isfinite(scale) && scale >= 0.0f && std::isfinite(softcap) && softcap >= 0.0f,
             label, "score scale and soft-cap must be finite and ≥ 0"))
    return -1;
  const AttentionDims& a = attention_;
  const size_t qw = a.n_head * a.head_dim, kvw = a.n_head_kv * a.head_dim;
  if (!Check(qw > 0 && values_[q].width == qw && values_[k].width == kvw &&
                 values_[v].width == kvw && layer < a.n_layer,
             label, "q/k/v widths or layer do not match the attention dims"))
    return -1;
  if (!Check(!values_[q].per_output && !values_[k].per_output && !values_[v].per_output, label,
             "attention needs every token's row"))
    return -1;
  Node n;
  n.op = Op::kAttention;
  n.in[0] = q;
  n.in[1] = k;
  n.in[2] = v;
  n.layer = layer;
  n.group = a.head_dim;
  n.scale = scale;
  n.cap = softcap;
  n.label = std::move(label);
  return Emit(std::move(n), qw, false);
}

int Graph::Softcap(int x, float cap, std::string label) {
  if (!Check(Valid(x) && std::isfinite(cap) && cap > 0.0f, label,
             "bad input or soft-cap not finite and > 0"))
    return -1;
  Node n;
  n.op = Op::kSoftcap;
  n.in[0] = x;
  n.cap = cap;
  n.label = std::move(label);
  return Emit(std::move(n), values_[x].width, values_[x].per_output);
}

int Graph::GatedAct(int gate, int up, Activation act, std::string label) {
  if (!Check(Valid(gate) && Valid(up) && values_[gate].width == values_[up].width &&
                 values_[gate].per_output == values_[up].per_output,
             label, "gate and up differ in shape"))
    return -1;
  Node n;
  n.op = Op::kGatedAct;
  n.in[0] = gate;
  n.in[1] = up;
  n.act = act;
  n.label = std::move(label);
  return Emit(std::move(n), values_[gate].width, values_[gate].per_output);
}

int Graph::Add(int a, int b, std::string label) {
  if (!Check(Valid(a) && Valid(b) && values_[a].width == values_[b].width &&
                 values_[a].per_output == values_[b].per_output,
             label, "operands differ in shape"))
    return -1;
  Node n;
  n.op = Op::kAdd;
  n.in[0] = a;
  n.in[1] = b;
  n.label = std::move(label);
  return Emit(std::move(n), values_[a].width, values_[a].per_output);
}

int Graph::SelectOutputs(int x) {
  if (!Check(Valid(x) && !values_[x].per_output, "select_outputs", "bad input")) return -1;
  Node n;
  n.op = Op::kSelectOutputs;
  n.in[0] = x;
  n.label = "select_outputs";
  return Emit(std::move(n), values_[x].width, true);
}

int Graph::Slice(int x, size_t offset, size_t width, std::string label) {
  if (!Check(Valid(x), label, "bad input")) return -1;
  if (!Check(width > 0 && offset <= values_[x].width && width <= values_[x].width - offset, label,
             "columns [" + std::to_string(offset) + ", " + std::to_string(offset + width) +
                 ") are not inside the input's " + std::to_string(values_[x].width)))
    return -1;
  Node n;
  n.op = Op::kSlice;
  n.in[0] = x;
  n.offset = offset;
  n.label = std::move(label);
  return Emit(std::move(n), width, values_[x].per_output);
}

int Graph::QuantizeInt8(int x, std::string label) {
  if (!Check(Valid(x), label, "bad input")) return -1;
  Node n;
  n.op = Op::kQuantizeInt8;
  n.in[0] = x;
  n.label = std::move(label);
  return Emit(std::move(n), values_[x].width, values_[x].per_output);
}

size_t Graph::AddRope(RopeSpec spec) {
  auto factors_ok = [&](const std::vector<float>& f) {
    return f.empty() || f.size() == spec.n_rot / 2;
  };
  if (spec.n_rot == 0 || spec.n_rot % 2 != 0 || !(spec.base > 0) || !(spec.position_scale > 0) ||
      !factors_ok(spec.freq_factors) || !factors_ok(spec.freq_factors_long) ||
      !(spec.attn_factor > 0) || !std::isfinite(spec.attn_factor)) {
    Check(false, "rope",
          "n_rot must be even and ≥ 2, base, scale and attention factor positive, factors "
          "n_rot/2");
  }
  ropes_.push_back(std::move(spec));
  return ropes_.size() - 1;
}

void Graph::SetOutput(int value) {
  if (Check(Valid(value) && values_[value].per_output, "output",
            "the output must be downstream of SelectOutputs"))
    output_ = value;
}

}  // namespace lutra::engine::graph
