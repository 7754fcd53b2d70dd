// lutra_write_synthetic_model: the C entry to the synthetic model generator.
#include <string>
#include <string_view>

#include "engine/src/api/error.h"
#include "engine/src/gguf/types.h"
#include "engine/src/synthetic/synthetic.h"
#include "lutra/lutra.h"

namespace {

using lutra::gguf::TensorType;

bool ParseType(std::string_view name, TensorType* type) {
  static constexpr struct {
    std::string_view name;
    TensorType type;
  } kTypes[] = {{"f32", TensorType::F32},     {"f16", TensorType::F16},
                {"bf16", TensorType::BF16},   {"q8_0", TensorType::Q8_0},
                {"q4_0", TensorType::Q4_0},   {"tq1_0", TensorType::TQ1_0},
                {"tq2_0", TensorType::TQ2_0}, {"q4_k", TensorType::Q4_K},
                {"q6_k", TensorType::Q6_K},   {"i2_s", TensorType::I2_S}};
  for (const auto& t : kTypes) {
    if (t.name == name) {
      *type = t.type;
      return true;
    }
  }
  return false;
}

bool IsLowBit(TensorType t) {
  return t == TensorType::Q4_0 || t == TensorType::TQ1_0 || t == TensorType::TQ2_0 ||
         t == TensorType::Q4_K || t == TensorType::I2_S;
}

lutra_status WriteSynthetic(const char* path, const lutra_synthetic_options* o) {
  using lutra::api::Fail;
  if (path == nullptr || *path == '\0') {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "lutra_write_synthetic_model: path is NULL or empty");
  }
  lutra_synthetic_options defaults;
  lutra_synthetic_options_init(&defaults);
  if (o == nullptr) o = &defaults;
  if (o->struct_size != sizeof(lutra_synthetic_options)) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "lutra_write_synthetic_model: options.struct_size is " +
                    std::to_string(o->struct_size) + ", expected " +
                    std::to_string(sizeof(lutra_synthetic_options)) +
                    " (call lutra_synthetic_options_init)");
  }
  auto config = lutra::engine::synthetic::SyntheticPreset(o->preset ? o->preset : "tiny");
  if (!config) return Fail(config.failure());
  const std::string weight = o->weight_type ? o->weight_type : "f32";
  if (!ParseType(weight, &config->weight_type)) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "unknown weight type '" + weight +
                    "' (known: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k, tq1_0, tq2_0, i2_s)");
  }
  const bool low_bit = IsLowBit(config->weight_type);
  config->embd_type = low_bit ? TensorType::F16 : config->weight_type;
  // As the common GGUF mixes do: Q4_K files (Q4_K_M) keep the output head in Q6_K.
  config->output_type = config->weight_type == TensorType::Q4_K ? TensorType::Q6_K
                        : low_bit                               ? TensorType::Q4_0
                                                                : config->weight_type;
  // A tied table is also the output head: by default it takes the head's type, as llama.cpp's
  // quantizer does (Q8_0 where its rows are not whole blocks of that type), rather than F16,
  // which the head would hold in memory as fp32.
  if (config->tied_output) {
    config->embd_type =
        lutra::engine::synthetic::SyntheticRowsFit(config->output_type, config->n_embd)
            ? config->output_type
            : TensorType::Q8_0;
  }
  if (o->embedding_type && !ParseType(o->embedding_type, &config->embd_type)) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "unknown embedding type '" + std::string(o->embedding_type) + "'");
  }
  if (o->output_type && !ParseType(o->output_type, &config->output_type)) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "unknown output type '" + std::string(o->output_type) + "'");
  }
  config->seed = o->seed;
  if (auto s = lutra::engine::synthetic::WriteSyntheticLlama(*config, path); !s) {
    return Fail(s.failure());
  }
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

}  // namespace

extern "C" {

void lutra_synthetic_options_init(lutra_synthetic_options* options) {
  if (options == nullptr) return;
  *options = lutra_synthetic_options{};
  options->struct_size = sizeof(lutra_synthetic_options);
  options->preset = "tiny";
  options->weight_type = "f32";
  options->seed = 1;
}

const char* lutra_synthetic_preset_names(void) {
  static const std::string names = [] {
    std::string s;
    for (const std::string& n : lutra::engine::synthetic::SyntheticPresetNames()) {
      s += (s.empty() ? "" : ",") + n;
    }
    return s;
  }();
  return names.c_str();
}

lutra_status lutra_write_synthetic_model(const char* path, const lutra_synthetic_options* options) {
  try {
    return WriteSynthetic(path, options);
  } catch (const std::bad_alloc&) {
    return lutra::api::Fail(LUTRA_STATUS_OUT_OF_MEMORY,
                            "lutra_write_synthetic_model: out of memory");
  } catch (...) {
    return lutra::api::Fail(LUTRA_STATUS_INTERNAL, "lutra_write_synthetic_model: internal error");
  }
}

}  // extern "C"
