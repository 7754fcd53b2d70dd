// A deliberately plain forward pass of the llama-like families for tests: weights read straight
// from the GGUF bytes, hyperparameters read from the metadata (under general.architecture's
// prefix) with their documented defaults, F32/F16/Q4_0/TQ1_0/TQ2_0/I2_S decoded by the test's own
// code, every sum in double, one token at a time, no engine code beyond the file reader.
// The rope is llama.cpp's NORM layout for llama: adjacent pairs (2j, 2j+1) of each head,
// θ_j = base^(-2j/n_rot) / freq_factor_j, position scaled by 1/factor for linear scaling; the
// other families use NEOX, pairs (j, j + n_rot/2) with the same angles.
// Family differences, from the models' definitions:
//   qwen2   QKV biases (whenever the file has them; llama files may too), NEOX rope.
//   qwen3   RMSNorm of every q and k head (weights attn_q_norm/attn_k_norm) before the rope.
//   bitnet, bitnet-b1.58, bitnet-25: BitLinear layer matrices: the input vector is rounded to
//           int8 with its absmax (x' = s·clamp(round_half_even(x/s), ±127), s = max|x|/127),
//           the output multiplied by the optional per-tensor scale blk.N.<matrix>.scale;
//           RMSNorms attn_sub_norm before attn_output and ffn_sub_norm before ffn_down; FFN
//           act(gate)·up with act = SiLU (bitnet) or ReLU² (bitnet-b1.58, bitnet-25).
//   gemma2, gemma3 (Gemma 2 and 3 as in Google's and Hugging Face's model code, with the facts
//           of llama.cpp's GGUF files): embedding row × √dim; the norm weights are stored as
//           1 + w (the converter adds the 1), so every norm is x̂·weight as for llama; the
//           attention and FFN outputs are RMS-normed (post_attention_norm, post_ffw_norm)
//           before their residual adds; FFN gelu_tanh(gate)·up; NEOX rope; scores
//           s = (q·k)/√query_pre_attn_scalar with query_pre_attn_scalar = n_embd/n_head for
//           the 27B models (46 layers for gemma2, 62 for gemma3), else head_dim; soft-capped
//           c·tanh(s/c) when a cap is set (gemma2 defaults: scores 50, logits 30; gemma3:
//           none); sliding layers (gemma2: even layers; gemma3: all but every sixth) see only
//           the last W positions (W = attention.sliding_window; gemma2 defaults to 4096,
//           gemma3 without the key has none) and gemma3's rotate with base 10000 unscaled
//           (rope.freq_base_swa overrides the sliding base); gemma3 RMS-norms q and k heads.
//   phi3    (Phi-3/3.5/Phi-4-mini as in Microsoft's and Hugging Face's model code, with the
//           facts of llama.cpp's GGUF files): Q, K and V rows stacked in one attn_qkv matrix
//           (or separate, as llama.cpp also reads), gate then up rows in one ffn_up matrix;
//           NEOX rope over the first n_rot dims; LongRoPE: θ_j divided by rope_factors_long
//           when the context exceeds rope.scaling.original_context_length (default: the
//           training context), else by rope_factors_short (a missing set divides by 1), and
//           cos and sin multiplied by rope.scaling.attn_factor (default 1); every layer sees
//           the last W = attention.sliding_window positions (0: all; without the key
//           llama.cpp's defaults for old files: 2047 for 32/40 layers at context 4096,
//           262144 for 32 layers, 32 KV heads at 131072, 131072 for 40 layers at 131072).
// Linear rope scaling as llama.cpp reads it for every family: the factor from
// rope.scaling.factor or rope.scale_linear, applied when rope.scaling.type is linear or absent.
#pragma once

#include <algorithm>
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
  // `int8_activations` = false runs bitnet files without the activation rounding (tests
  // use it to show that their tolerance resolves the rounding's effect).
  // `n_ctx`: the context of the session the reference stands for (LongRoPE picks its factors
  // by it); 0 is the training context, as llama.cpp's default.
  explicit RefLlama(const gguf::File& f, bool int8_activations = true, size_t n_ctx = 0) {
    auto arch = f.get_string("general.architecture");
    const std::string a = arch.ok() ? std::string(*arch) : "llama";
    neox_ = a != "llama";
    gemma_ = a == "gemma2" || a == "gemma3";
    const bool gemma2 = a == "gemma2";
    qk_norm_ = a == "qwen3" || a == "gemma3";
    const bool phi3 = a == "phi3";
    bitnet_ = a.rfind("bitnet", 0) == 0;
    relu2_ = a == "bitnet-b1.58" || a == "bitnet-25";
    quantize_ = bitnet_ && int8_activations;
    auto count = [&](const std::string& k, uint64_t def) {
      auto v = f.get_count(a + "." + k);
      return v.ok() ? size_t(*v) : size_t(def);
    };
    auto real = [&](const std::string& k, double def) {
      const gguf::Value* v = f.find(a + "." + k);
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
    auto st = f.get_string(a + ".rope.scaling.type");
    const double factor = f.has(a + ".rope.scaling.factor") ? real("rope.scaling.factor", 0.0)
                                                            : real("rope.scale_linear", 0.0);
    if ((st.ok() ? *st == "linear" : true) && factor > 0) pos_scale_ = 1.0 / factor;
    score_scale_ = 1.0 / std::sqrt(double(hd_));
    if (gemma_) {
      const size_t window = count("attention.sliding_window", gemma2 ? 4096 : 0);
      attn_cap_ = real("attn_logit_softcapping", gemma2 ? 50.0 : 0.0);
      final_cap_ = real("final_logit_softcapping", gemma2 ? 30.0 : 0.0);
      if (layers_ == (gemma2 ? 46u : 62u)) score_scale_ = 1.0 / std::sqrt(double(dim_ / heads_));
      swa_base_ = real("rope.freq_base_swa", gemma2 ? base_ : 10000.0);
      swa_pos_scale_ = gemma2 ? pos_scale_ : 1.0;
      for (size_t l = 0; l < layers_ && window > 0; ++l) {
        windows_.push_back((gemma2 ? l % 2 == 0 : l % 6 != 5) ? window : 0);
      }
    }
    if (phi3) {
      const size_t ctx_train = count("context_length", 0);
      const size_t legacy = (layers_ == 32 || layers_ == 40) && ctx_train == 4096     ? 2047
                            : layers_ == 32 && kv_heads_ == 32 && ctx_train == 131072 ? 262144
                            : layers_ == 40 && ctx_train == 131072                    ? 131072
                                                                                      : 0;
      const size_t window = count("attention.sliding_window", legacy);
      if (window > 0) windows_.assign(layers_, window);
      swa_base_ = base_;
      swa_pos_scale_ = pos_scale_;
      attn_factor_ = real("rope.scaling.attn_factor", 1.0);
      const size_t orig = count("rope.scaling.original_context_length", ctx_train);
      const char* set = (n_ctx != 0 ? n_ctx : ctx_train) > orig ? "rope_factors_long.weight"
                                                                : "rope_factors_short.weight";
      freq_factors_ = Optional(f, set);
    }
    embd_ = Load(f, "token_embd.weight");
    vocab_ = embd_.size() / dim_;
    out_ = f.tensor("output.weight") ? Load(f, "output.weight") : embd_;
    out_norm_ = Load(f, "output_norm.weight");
    if (!phi3 && f.tensor("rope_freqs.weight")) freq_factors_ = Load(f, "rope_freqs.weight");
    for (size_t l = 0; l < layers_; ++l) {
      const std::string b = "blk." + std::to_string(l) + ".";
      Layer L;
      L.attn_norm = Load(f, b + "attn_norm.weight");
      if (f.tensor(b + "attn_qkv.weight")) {
        // Rows [0, q) are Q, then K's and V's kv rows each.
        const std::vector<float> qkv = Load(f, b + "attn_qkv.weight");
        const size_t q = heads_ * hd_ * dim_, kv = kv_heads_ * hd_ * dim_;
        L.wq.assign(qkv.begin(), qkv.begin() + q);
        L.wk.assign(qkv.begin() + q, qkv.begin() + q + kv);
        L.wv.assign(qkv.begin() + q + kv, qkv.end());
      } else {
        L.wq = Load(f, b + "attn_q.weight");
        L.wk = Load(f, b + "attn_k.weight");
        L.wv = Load(f, b + "attn_v.weight");
      }
      L.wo = Load(f, b + "attn_output.weight");
      L.bq = Optional(f, b + "attn_q.bias");
      L.bk = Optional(f, b + "attn_k.bias");
      L.bv = Optional(f, b + "attn_v.bias");
      L.bo = Optional(f, b + "attn_output.bias");
      L.ffn_norm = Load(f, b + "ffn_norm.weight");
      if (phi3) {
        // The gate's ff rows, then the up projection's.
        const std::vector<float> gu = Load(f, b + "ffn_up.weight");
        L.wg.assign(gu.begin(), gu.begin() + ff_ * dim_);
        L.wu.assign(gu.begin() + ff_ * dim_, gu.end());
      } else {
        L.wg = Load(f, b + "ffn_gate.weight");
        L.wu = Load(f, b + "ffn_up.weight");
      }
      L.wd = Load(f, b + "ffn_down.weight");
      if (qk_norm_) {
        L.q_norm = Load(f, b + "attn_q_norm.weight");
        L.k_norm = Load(f, b + "attn_k_norm.weight");
      }
      if (gemma_) {
        L.attn_post = Load(f, b + "post_attention_norm.weight");
        L.ffn_post = Load(f, b + "post_ffw_norm.weight");
      }
      if (bitnet_) {
        L.attn_sub = Load(f, b + "attn_sub_norm.weight");
        L.ffn_sub = Load(f, b + "ffn_sub_norm.weight");
        const char* names[7] = {"attn_q",   "attn_k", "attn_v",  "attn_output",
                                "ffn_gate", "ffn_up", "ffn_down"};
        for (int m = 0; m < 7; ++m) {
          const std::vector<float> sc = Optional(f, b + names[m] + ".scale");
          L.scale[m] = sc.empty() ? 1.0 : double(sc[0]);
        }
      }
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
    if (gemma_) {
      for (double& e : x) e *= std::sqrt(double(dim_));
    }
    const size_t qw = heads_ * hd_, kvw = kv_heads_ * hd_;
    for (size_t li = 0; li < layer_.size(); ++li) {
      Layer& L = layer_[li];
      const size_t window = windows_.empty() ? 0 : windows_[li];
      std::vector<double> h = Quantize(Norm(x, L.attn_norm));
      std::vector<double> q = MatVec(L.wq, h, qw, L.bq, L.scale[0]),
                          k = MatVec(L.wk, h, kvw, L.bk, L.scale[1]),
                          v = MatVec(L.wv, h, kvw, L.bv, L.scale[2]);
      if (qk_norm_) {
        HeadNorm(q, heads_, L.q_norm);
        HeadNorm(k, kv_heads_, L.k_norm);
      }
      const bool swa = window > 0;
      Rope(q, heads_, swa ? swa_base_ : base_, swa ? swa_pos_scale_ : pos_scale_);
      Rope(k, kv_heads_, swa ? swa_base_ : base_, swa ? swa_pos_scale_ : pos_scale_);
      L.k.insert(L.k.end(), k.begin(), k.end());
      L.v.insert(L.v.end(), v.begin(), v.end());
      std::vector<double> att(qw, 0.0);
      const size_t n = pos_ + 1, group = heads_ / kv_heads_;
      for (size_t hh = 0; hh < heads_; ++hh) {
        const size_t g = hh / group;
        std::vector<double> s(n);
        double mx = -INFINITY;
        // A sliding layer's query at pos_ sees positions (pos_ − window, pos_].
        const size_t first = window > 0 && pos_ + 1 > window ? pos_ + 1 - window : 0;
        for (size_t p = 0; p < n; ++p) {
          double d = 0;
          for (size_t t = 0; t < hd_; ++t) d += q[hh * hd_ + t] * L.k[p * kvw + g * hd_ + t];
          s[p] = d * score_scale_;
          if (attn_cap_ > 0) s[p] = attn_cap_ * std::tanh(s[p] / attn_cap_);
          if (p < first) s[p] = -INFINITY;
          mx = std::max(mx, s[p]);
        }
        double z = 0;
        for (double& e : s) z += (e = std::exp(e - mx));
        for (size_t p = 0; p < n; ++p) {
          for (size_t t = 0; t < hd_; ++t)
            att[hh * hd_ + t] += s[p] / z * L.v[p * kvw + g * hd_ + t];
        }
      }
      if (bitnet_) att = Norm(att, L.attn_sub);
      std::vector<double> o = MatVec(L.wo, Quantize(att), dim_, L.bo, L.scale[3]);
      if (gemma_) o = Norm(o, L.attn_post);
      for (size_t i = 0; i < dim_; ++i) x[i] += o[i];
      h = Quantize(Norm(x, L.ffn_norm));
      std::vector<double> gate = MatVec(L.wg, h, ff_, {}, L.scale[4]),
                          up = MatVec(L.wu, h, ff_, {}, L.scale[5]);
      for (size_t i = 0; i < ff_; ++i) {
        const double g = gate[i];
        double act = 0;
        if (gemma_) {
          act = 0.5 * g * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (g + 0.044715 * g * g * g)));
        } else {
          act = relu2_ ? (g > 0 ? g * g : 0.0) : g / (1.0 + std::exp(-g));
        }
        gate[i] = act * up[i];
      }
      if (bitnet_) gate = Norm(gate, L.ffn_sub);
      std::vector<double> down = MatVec(L.wd, Quantize(gate), dim_, {}, L.scale[6]);
      if (gemma_) down = Norm(down, L.ffn_post);
      for (size_t i = 0; i < dim_; ++i) x[i] += down[i];
    }
    ++pos_;
    std::vector<double> logits = MatVec(out_, Norm(x, out_norm_), vocab_, {});
    if (final_cap_ > 0) {
      for (double& v : logits) v = final_cap_ * std::tanh(v / final_cap_);
    }
    return logits;
  }

 private:
  struct Layer {
    std::vector<float> attn_norm, wq, wk, wv, wo, bq, bk, bv, bo, ffn_norm, wg, wu, wd;
    std::vector<float> q_norm, k_norm, attn_sub, ffn_sub, attn_post, ffn_post;
    double scale[7] = {1, 1, 1, 1, 1, 1, 1};  // q k v o gate up down
    std::vector<double> k, v;                 // cached keys/values, position-major
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
      } else if (t->type == gguf::TensorType::TQ1_0) {
        DecodeTQ1_0(t->data, out.size(), out.data());
        break;
      } else if (t->type == gguf::TensorType::Q4_K) {
        DecodeQ4_K(t->data, out.size(), out.data());
        break;
      } else if (t->type == gguf::TensorType::Q6_K) {
        DecodeQ6_K(t->data, out.size(), out.data());
        break;
      } else if (t->type == gguf::TensorType::I2_S) {
        DecodeI2_S(t->data, out.size(), out.data());
        break;
      } else if (t->type == gguf::TensorType::IQ4_NL) {
        DecodeIQ4_NL(t->data, out.size(), out.data());
        break;
      } else if (t->type == gguf::TensorType::IQ4_XS) {
        DecodeIQ4_XS(t->data, out.size(), out.data());
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
  // y[r] = scale·Σ_c W[r·cols + c]·x[c] (+ b[r]); ggml's row r is contiguous.
  static std::vector<double> MatVec(const std::vector<float>& w, const std::vector<double>& x,
                                    size_t rows, const std::vector<float>& b, double scale = 1.0) {
    std::vector<double> y(rows);
    const size_t cols = x.size();
    for (size_t r = 0; r < rows; ++r) {
      double s = 0.0;
      for (size_t c = 0; c < cols; ++c) s += double(w[r * cols + c]) * x[c];
      y[r] = s * scale + (b.empty() ? 0.0 : b[r]);
    }
    return y;
  }
  // BitLinear input rounding (identity for the other families).
  std::vector<double> Quantize(std::vector<double> x) const {
    if (!quantize_) return x;
    double amax = 0;
    for (double v : x) amax = std::max(amax, std::fabs(v));
    if (amax == 0) return x;
    const double step = amax / 127.0;
    for (double& v : x) v = std::clamp(std::nearbyint(v / step), -127.0, 127.0) * step;
    return x;
  }
  void HeadNorm(std::vector<double>& x, size_t heads, const std::vector<float>& w) const {
    for (size_t h = 0; h < heads; ++h) {
      std::vector<double> head(x.begin() + h * hd_, x.begin() + (h + 1) * hd_);
      head = Norm(head, w);
      std::copy(head.begin(), head.end(), x.begin() + h * hd_);
    }
  }
  std::vector<double> Norm(const std::vector<double>& x, const std::vector<float>& w) const {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / double(x.size()) + eps_);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
    return y;
  }
  void Rope(std::vector<double>& x, size_t heads, double base, double pos_scale) const {
    const double p = double(pos_) * pos_scale;
    for (size_t h = 0; h < heads; ++h) {
      for (size_t j = 0; j < rot_ / 2; ++j) {
        double theta = std::pow(base, -2.0 * double(j) / double(rot_));
        if (!freq_factors_.empty()) theta /= freq_factors_[j];
        const double c = attn_factor_ * std::cos(p * theta), s = attn_factor_ * std::sin(p * theta);
        const size_t i0 = neox_ ? j : 2 * j, i1 = neox_ ? j + rot_ / 2 : 2 * j + 1;
        double& a = x[h * hd_ + i0];
        double& b = x[h * hd_ + i1];
        const double a0 = a, b0 = b;
        a = a0 * c - b0 * s;
        b = a0 * s + b0 * c;
      }
    }
  }

  size_t dim_ = 0, layers_ = 0, ff_ = 0, heads_ = 0, kv_heads_ = 0, hd_ = 0, rot_ = 0, vocab_ = 0;
  double eps_ = 0, base_ = 10000.0, pos_scale_ = 1.0;
  double score_scale_ = 1.0, attn_cap_ = 0.0, final_cap_ = 0.0, attn_factor_ = 1.0;
  double swa_base_ = 10000.0, swa_pos_scale_ = 1.0;
  std::vector<size_t> windows_;  // per layer (gemma, phi3): the sliding window, 0: all positions
  bool neox_ = false, qk_norm_ = false, bitnet_ = false, relu2_ = false, quantize_ = false;
  bool gemma_ = false;
  size_t pos_ = 0;
  std::vector<float> embd_, out_, out_norm_, freq_factors_;
  std::vector<Layer> layer_;
};

}  // namespace lutra::testing
