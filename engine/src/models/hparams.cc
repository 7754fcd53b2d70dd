#include "engine/src/models/hparams.h"

#include <cmath>
#include <cstdint>

namespace lutra::engine::models {
namespace {

Expected<double> GetReal(const gguf::File& f, const std::string& key) {
  const gguf::Value* v = f.find(key);
  if (v == nullptr) return InvalidModel("missing metadata key " + key);
  if (v->type == gguf::ValueType::F32 || v->type == gguf::ValueType::F64) return v->real;
  auto c = f.get_count(key);
  if (c.ok()) return double(*c);
  return InvalidModel("metadata key " + key + " is not a number");
}

}  // namespace

Expected<double> ReadOptionalReal(const gguf::File& f, const std::string& key, double fallback) {
  if (!f.has(key)) return fallback;
  auto v = GetReal(f, key);
  if (!v.ok()) return v.failure("model: ");
  if (!(*v >= 0.0) || !std::isfinite(*v)) {
    return InvalidModel("model: " + key + " must be a finite number ≥ 0");
  }
  return *v;
}

Expected<HParams> ReadHParams(const gguf::File& f, const std::string& arch,
                              const FamilyKeys& family) {
  HParams h;
  h.arch = arch;
  const std::string p = arch + ".";
  auto count = [&](const char* key, size_t* out, bool required) -> Status {
    const std::string k = p + key;
    if (!f.has(k)) {
      if (required) return InvalidModel("model: missing metadata key " + k);
      return Status::Ok();
    }
    auto v = f.get_count(k);
    if (!v.ok()) return v.failure("model: " + k + ": ");
    if (*v == 0 || *v > UINT32_MAX) {
      return InvalidModel("model: " + k + " = " + std::to_string(*v) + " is out of range");
    }
    *out = size_t(*v);
    return Status::Ok();
  };
  for (const char* key : {"expert_count", "expert_used_count"}) {
    if (f.has(p + key)) {
      auto v = f.get_count(p + key);
      if (!v.ok() || *v != 0) {
        return InvalidModel("model: " + p + key + ": mixture-of-experts models are not supported");
      }
    }
  }
  // Keys other families use to change the computation in ways this decoder does not implement
  // (soft-capping, custom attention/residual/logit scales, ALiBi, parallel residuals,
  // multimodal rope sections, sliding-window patterns and rope bases); a family that
  // implements some of them reads them itself (FamilyKeys).
  for (const char* key :
       {"attention.logit_softcapping", "attention.scale", "embedding_scale", "residual_scale",
        "logit_scale", "attention.clamp_kqv", "attention.max_alibi_bias", "use_parallel_residual",
        "rope.dimension_sections", "attention.sliding_window_pattern"}) {
    if (f.has(p + key)) {
      return InvalidModel("model: " + p + key + " changes the computation and is not supported");
    }
  }
  if (!family.softcapping) {
    for (const char* key : {"attn_logit_softcapping", "final_logit_softcapping"}) {
      if (f.has(p + key)) {
        return InvalidModel("model: " + p + key + " changes the computation and is not supported");
      }
    }
  }
  if (!family.swa_rope_base && f.has(p + "rope.freq_base_swa")) {
    return InvalidModel("model: " + p + "rope.freq_base_swa: " +
                        (family.sliding_window
                             ? "a rope base of the sliding-window layers' own is not supported"
                             : "sliding-window attention is not supported"));
  }
  if (f.has(p + "attention.layer_norm_epsilon")) {
    return InvalidModel("model: " + p +
                        "attention.layer_norm_epsilon: LayerNorm models are not supported");
  }
  Status s;
  if (!(s = count("context_length", &h.n_ctx_train, true)).ok() ||
      !(s = count("embedding_length", &h.n_embd, true)).ok() ||
      !(s = count("block_count", &h.n_layer, true)).ok() ||
      !(s = count("feed_forward_length", &h.n_ff, true)).ok() ||
      !(s = count("attention.head_count", &h.n_head, true)).ok()) {
    return s.failure();
  }
  h.n_head_kv = h.n_head;
  if (!(s = count("attention.head_count_kv", &h.n_head_kv, false)).ok()) return s.failure();
  if (h.n_head % h.n_head_kv != 0) {
    return InvalidModel("model: " + p + "attention.head_count " + std::to_string(h.n_head) +
                        " is not a multiple of " + p + "attention.head_count_kv " +
                        std::to_string(h.n_head_kv));
  }
  if (h.n_embd % h.n_head != 0 && !f.has(p + "attention.key_length")) {
    return InvalidModel("model: " + p + "embedding_length " + std::to_string(h.n_embd) +
                        " is not a multiple of the head count and attention.key_length is absent");
  }
  h.head_dim = h.n_embd / h.n_head;
  size_t key_len = h.head_dim, value_len = h.head_dim;
  if (!(s = count("attention.key_length", &key_len, false)).ok() ||
      !(s = count("attention.value_length", &value_len, false)).ok()) {
    return s.failure();
  }
  if (key_len != value_len) {
    return InvalidModel("model: " + p + "attention.key_length " + std::to_string(key_len) +
                        " differs from attention.value_length " + std::to_string(value_len) +
                        " (not supported)");
  }
  h.head_dim = key_len;

  auto eps = GetReal(f, p + "attention.layer_norm_rms_epsilon");
  if (!eps.ok()) return eps.failure("model: ");
  if (!(*eps >= 0.0) || *eps > 1.0) {
    return InvalidModel("model: " + p + "attention.layer_norm_rms_epsilon out of range");
  }
  h.rms_eps = float(*eps);

  h.n_rot = h.head_dim;
  if (!(s = count("rope.dimension_count", &h.n_rot, false)).ok()) return s.failure();
  if (h.n_rot > h.head_dim || h.n_rot % 2 != 0) {
    return InvalidModel("model: " + p + "rope.dimension_count " + std::to_string(h.n_rot) +
                        " must be even and at most the head size " + std::to_string(h.head_dim));
  }
  if (f.has(p + "rope.freq_base")) {
    auto base = GetReal(f, p + "rope.freq_base");
    if (!base.ok() || !(*base > 1.0) || !std::isfinite(*base)) {
      return InvalidModel("model: " + p + "rope.freq_base must be a number > 1");
    }
    h.rope_base = *base;
  }
  // Linear scaling as llama.cpp reads it: the factor from rope.scaling.factor or the older
  // rope.scale_linear; without a rope.scaling.type key the type is linear (a factor of 0 or
  // none means unscaled), so a factor alone is honoured, not ignored.
  const bool typed = f.has(p + "rope.scaling.type");
  std::string scaling = "none";
  if (typed) {
    auto t = f.get_string(p + "rope.scaling.type");
    if (!t.ok()) return t.failure("model: " + p + "rope.scaling.type: ");
    scaling = std::string(*t);
  }
  const std::string factor_key = f.has(p + "rope.scaling.factor") || !f.has(p + "rope.scale_linear")
                                     ? p + "rope.scaling.factor"
                                     : p + "rope.scale_linear";
  if (!typed && f.has(factor_key)) {
    auto factor = ReadOptionalReal(f, factor_key, 0.0);
    if (!factor.ok()) return factor.failure();
    if (*factor != 0.0) scaling = "linear";
  }
  if (scaling == "linear") {
    auto factor = GetReal(f, factor_key);
    if (!factor.ok() || !(*factor > 0.0) || !std::isfinite(*factor)) {
      return InvalidModel("model: " + factor_key + " must be a positive number for linear scaling");
    }
    h.rope_position_scale = 1.0 / *factor;
  } else if (scaling != "none") {
    return InvalidModel("model: " + p + "rope.scaling.type '" + scaling +
                        "' is not supported (supported: none, linear)");
  }
  h.n_ctx_orig = h.n_ctx_train;
  if (!(s = count("rope.scaling.original_context_length", &h.n_ctx_orig, false)).ok()) {
    return s.failure();
  }
  const std::string attn_factor_key = p + "rope.scaling.attn_factor";
  auto attn_factor = ReadOptionalReal(f, attn_factor_key, 1.0);
  if (!attn_factor.ok()) return attn_factor.failure();
  if (!(*attn_factor > 0.0)) {
    return InvalidModel("model: " + attn_factor_key + " must be a positive number");
  }
  if (*attn_factor != 1.0 && !family.rope_attn_factor) {
    return InvalidModel("model: " + attn_factor_key + " = " + std::to_string(*attn_factor) +
                        " changes the computation and is not supported");
  }
  h.rope_attn_factor = *attn_factor;
  if (!family.sliding_window && f.has(p + "attention.sliding_window")) {
    return InvalidModel("model: " + p +
                        "attention.sliding_window: sliding-window attention is not supported");
  }
  return h;
}

}  // namespace lutra::engine::models
