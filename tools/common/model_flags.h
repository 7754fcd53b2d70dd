// The model and sampling flags lutra-run and lutra-chat share (llama.cpp names), and model
// loading with a progress bar.
#pragma once

#include <string>

#include "lutra/lutra.h"
#include "tools/common/args.h"

namespace lutra::tools {

struct ModelFlags {
  std::string model_path;
  lutra_model_options model;
  lutra_sampler_options sampler;
  ModelFlags();
  // Consumes `flag` (and its value) if it is one of the shared flags; false otherwise.
  bool Parse(const std::string& flag, Args& args);
};

// --kv-type's value ("f16", "f32", "bf16"); a usage error otherwise.
lutra_kv_type ParseKvType(const std::string& value);

// The shared flags' help text, one per line.
const char* ModelFlagsHelp();

// Loads flags.model_path (a usage error when unset) showing a progress bar on a terminal;
// exits with the library's message on failure.
lutra_model* LoadModelOrDie(const ModelFlags& flags);

}  // namespace lutra::tools
