// The model flags lutra-run, lutra-chat and lutra-perplexity share, the sampling flags of the
// generating tools (llama.cpp names), and model loading with a progress bar. Each tool parses
// and lists only the groups that apply to it.
#pragma once

#include <string>

#include "lutra/lutra.h"
#include "tools/common/args.h"

namespace lutra::tools {

struct ModelFlags {
  std::string model_path;
  lutra_model_options model;
  lutra_sampler_options sampler;
  // -c above the model's training context (<arch>.context_length): refused (run, perplexity:
  // their docs say "at most the model's") or a warning (chat, whose long sessions may want
  // it). Only a -c the user gave counts.
  bool refuse_long_context = true;
  bool context_given = false;
  ModelFlags();
  // Consumes `flag` (and its value) if it is a model flag (-m, -c, -t, -b, --isa, --no-mmap,
  // --no-cache, --kv-type); false otherwise.
  bool Parse(const std::string& flag, Args& args);
  // The same for the sampling flags (--temp, --top-k, ..., -s).
  bool ParseSampling(const std::string& flag, Args& args);
};

// --kv-type's value ("f16", "f32", "bf16"); a usage error otherwise.
lutra_kv_type ParseKvType(const std::string& value);

// Help text, one flag per line: -c as the generating tools mean it (a tool that gives -c
// another meaning writes its own line), the other model flags, the sampling flags.
const char* ContextFlagHelp();
const char* ModelFlagsHelp();
const char* SamplingFlagsHelp();

// Loads flags.model_path (a usage error when unset) showing a progress bar on a terminal;
// exits with the library's message on failure. Before loading: an --isa level the CPU lacks
// is reported as the flag; a mapped model gets the SIGBUS report (sigbus.h). After: the -c
// check above.
lutra_model* LoadModelOrDie(const ModelFlags& flags);

}  // namespace lutra::tools
