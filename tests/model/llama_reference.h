// A deliberately plain llama forward pass for tests: weights read straight from the GGUF
// bytes (F32 and F16 decoded here), hyperparameters read from the metadata with their
// documented defaults, F32/F16/Q4_0/TQ2_0 decoded by the test's own code, every sum in double, one
// token at a time, no engine code beyond the file reader. The rope is llama.cpp's NORM layout:
// adjacent pairs (2j, 2j+1) of each head, θ_j = base^(-2j/n_rot) / freq_factor_j, position scaled
// by 1/factor for linear scaling.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "tests/model/quant_blocks.h"

namespace lutra::testing {

class RefLlama {
 public:
  explicit RefLlama(const gguf::File& f) {
    auto count = [&](const std::string& k, uint64_t def) {
      auto v = f.get_count("llama." + k);
      return v.ok() ? size_t(*v) : size_t(def);
    };
    auto real = [&](const std::string& k, double def) {
      const gguf::Value* v = f.find("llama." + k);
      return v == nullptr ? def : v->real;
    };
    dim_ = count("embedding_length", 0);
    layers_ = count("block_count", 0);
    ff_ = count("feed_forward_length", 0);
    heads_ = count("attention.head_count", 0);
    kv_heads_ = count("attention.head_count_kv", heads_);
    hd_ = count("attention.key_length", dim_ / heads_);
    rot_ = count("rope.dimension_count", hd_);
    eps_ = real("attention.layer_norm_rms_epsilon", 0);
    base_ = real("rope.freq_base", 10000.0);
    auto st = f.get_string("llama.rope.scaling.type");
    if (st.ok() && *st == "linear") pos_scale_ = 1.0 / real("rope.scaling.factor", 1.0);
    embd_ = Load(f, "token_embd.weight");
    vocab_ = embd_.size() / dim_;
    out_ = f.tensor("output.weight") ? Load(f, "output.weight") : embd_;
    out_norm_ = Load(f, "output_norm.weight");
    if (f.tensor("rope_freqs.weight")) freq_factors_ = Load(f, "rope_freqs.weight");
    for (size_t l = 0; l < layers_; ++l) {
      const std::string b = "blk." + std::to_string(l) + ".";
      Layer L;
      L.attn_norm = Load(f, b + "attn_norm.weight");
      L.wq = Load(f, b + "attn_q.weight");
      L.wk = Load(f, b + "attn_k.weight");
      L.wv = Load(f, b + "attn_v.weight");
      L.wo = Load(f, b + "attn_output.weight");
      L.bq = Optional(f, b + "attn_q.bias");
      L.bk = Optional(f, b + "attn_k.bias");
      L.bv = Optional(f, b + "attn_v.bias");
      L.bo = Optional(f, b + "attn_output.bias");
      L.ffn_norm = Load(f, b + "ffn_norm.weight");
      L.wg = Load(f, b + "ffn_gate.weight");
      L.wu = Load(f, b + "ffn_up.weight");
      L.wd = Load(f, b + "ffn_down.weight");
      L.k.clear();
      L.v.clear();
      layer_.push_back(std::move(L));
    }
  }

  size_t vocab() const { return vocab_; }
  void Reset() {
    pos_ = 0;
    for (Layer& L : layer_) L.k.clear(), L.v.clear();
  }

  // Appends `token` and returns its logits.
  std::vector<double> Step(int32_t token) {
    std::vector<double> x(embd_.begin() + size_t(token) * dim_,
                          embd_.begin() + size_t(token + 1) * dim_);
    const size_t qw = heads_ * hd_, kvw = kv_heads_ * hd_;
    for (Layer& L : layer_) {
      std::vector<double> h = Norm(x, L.attn_norm);
      std::vector<double> q = MatVec(L.wq, h, qw, L.bq), k = MatVec(L.wk, h, kvw, L.bk),
                          v = MatVec(L.wv, h, kvw, L.bv);
      Rope(q, heads_);
      Rope(k, kv_heads_);
      L.k.insert(L.k.end(), k.begin(), k.end());
      L.v.insert(L.v.end(), v.begin(), v.end());
      std::vector<double> att(qw, 0.0);
      const size_t n = pos_ + 1, group = heads_ / kv_heads_;
      for (size_t hh = 0; hh < heads_; ++hh) {
        const size_t g = hh / group;
        std::vector<double> s(n);
        double mx = -INFINITY;
        for (size_t p = 0; p < n; ++p) {
          double d = 0;
          for (size_t t = 0; t < hd_; ++t) d += q[hh * hd_ + t] * L.k[p * kvw + g * hd_ + t];
          s[p] = d / std::sqrt(double(hd_));
          mx = std::max(mx, s[p]);
        }
        double z = 0;
        for (double& e : s) z += (e = std::exp(e - mx));
        for (size_t p = 0; p < n; ++p) {
          for (size_t t = 0; t < hd_; ++t)
            att[hh * hd_ + t] += s[p] / z * L.v[p * kvw + g * hd_ + t];
        }
      }
      std::vector<double> o = MatVec(L.wo, att, dim_, L.bo);
      for (size_t i = 0; i < dim_; ++i) x[i] += o[i];
      h = Norm(x, L.ffn_norm);
      std::vector<double> gate = MatVec(L.wg, h, ff_, {}), up = MatVec(L.wu, h, ff_, {});
      for (size_t i = 0; i < ff_; ++i) gate[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
      std::vector<double> down = MatVec(L.wd, gate, dim_, {});
      for (size_t i = 0; i < dim_; ++i) x[i] += down[i];
    }
    ++pos_;
    return MatVec(out_, Norm(x, out_norm_), vocab_, {});
  }

 private:
  struct Layer {
    std::vector<float> attn_norm, wq, wk, wv, wo, bq, bk, bv, bo, ffn_norm, wg, wu, wd;
    std::vector<double> k, v;  // cached keys/values, position-major
  };

  static std::vector<float> Load(const gguf::File& f, const std::string& name) {
    const gguf::TensorInfo* t = f.tensor(name);
    if (t == nullptr) throw std::runtime_error("reference: missing " + name);
    std::vector<float> out(t->n_elements);
    for (size_t i = 0; i < out.size(); ++i) {
      if (t->type == gguf::TensorType::F32) {
        std::memcpy(&out[i], t->data + 4 * i, 4);
      } else if (t->type == gguf::TensorType::F16) {
        uint16_t h;
        std::memcpy(&h, t->data + 2 * i, 2);
        out[i] = HalfBitsToFloat(h);
      } else if (t->type == gguf::TensorType::Q4_0) {
        DecodeQ4_0(t->data, out.size(), out.data());
        break;
      } else if (t->type == gguf::TensorType::TQ2_0) {
        DecodeTQ2_0(t->data, out.size(), out.data());
        break;
      } else {
        throw std::runtime_error("reference: " + name + " has a type the reference cannot read");
      }
    }
    return out;
  }
  static std::vector<float> Optional(const gguf::File& f, const std::string& name) {
    return f.tensor(name) ? Load(f, name) : std::vector<float>{};
  }
  // y[r] = Σ_c W[r·cols + c]·x[c] (+ b[r]); ggml's row r is contiguous.
  static std::vector<double> MatVec(const std::vector<float>& w, const std::vector<double>& x,
                                    size_t rows, const std::vector<float>& b) {
    std::vector<double> y(rows);
    const size_t cols = x.size();
    for (size_t r = 0; r < rows; ++r) {
      double s = b.empty() ? 0.0 : b[r];
      for (size_t c = 0; c < cols; ++c) s += double(w[r * cols + c]) * x[c];
      y[r] = s;
    }
    return y;
  }
  std::vector<double> Norm(const std::vector<double>& x, const std::vector<float>& w) const {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / double(x.size()) + eps_);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
    return y;
  }
  void Rope(std::vector<double>& x, size_t heads) const {
    const double p = double(pos_) * pos_scale_;
    for (size_t h = 0; h < heads; ++h) {
      for (size_t j = 0; j < rot_ / 2; ++j) {
        double theta = std::pow(base_, -2.0 * double(j) / double(rot_));
        if (!freq_factors_.empty()) theta /= freq_factors_[j];
        const double c = std::cos(p * theta), s = std::sin(p * theta);
        double& a = x[h * hd_ + 2 * j];
        double& b = x[h * hd_ + 2 * j + 1];
        const double a0 = a, b0 = b;
        a = a0 * c - b0 * s;
        b = a0 * s + b0 * c;
      }
    }
  }

  size_t dim_ = 0, layers_ = 0, ff_ = 0, heads_ = 0, kv_heads_ = 0, hd_ = 0, rot_ = 0, vocab_ = 0;
  double eps_ = 0, base_ = 10000.0, pos_scale_ = 1.0;
  size_t pos_ = 0;
  std::vector<float> embd_, out_, out_norm_, freq_factors_;
  std::vector<Layer> layer_;
};

}  // namespace lutra::testing
