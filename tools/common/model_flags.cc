#include "tools/common/model_flags.h"

#include <unistd.h>

#include <cstdio>

#include "tools/common/progress.h"
#include "tools/common/sigbus.h"

namespace lutra::tools {

ModelFlags::ModelFlags() {
  lutra_model_options_init(&model);
  lutra_sampler_options_init(&sampler);
}

lutra_kv_type ParseKvType(const std::string& v) {
  if (v == "f16") return LUTRA_KV_F16;
  if (v == "f32") return LUTRA_KV_F32;
  if (v == "bf16") return LUTRA_KV_BF16;
  UsageError("--kv-type " + v + ": expected f16, f32 or bf16");
}

bool ModelFlags::Parse(const std::string& f, Args& a) {
  if (f == "-m" || f == "--model") {
    model_path = a.Value(f);
  } else if (f == "-c" || f == "--ctx-size") {
    model.context_length = uint32_t(a.Int(f, 0, 1 << 24));
    context_given = model.context_length != 0;
  } else if (f == "-t" || f == "--threads") {
    model.threads = uint32_t(a.Int(f, 1, 1024));
  } else if (f == "-b" || f == "--batch-size") {
    model.batch = uint32_t(a.Int(f, 1, 1 << 16));
  } else if (f == "--isa") {
    static std::string isa;  // the options hold a pointer; flags live for the whole run
    isa = a.Value(f);
    model.isa = isa.c_str();
  } else if (f == "--no-mmap") {
    model.use_mmap = 0;
  } else if (f == "--no-cache") {
    model.cache = LUTRA_CACHE_OFF;
  } else if (f == "-rtr" || f == "--run-time-repack") {
    model.repack_q4_k = 1;
  } else if (f == "--kv-type") {
    model.kv_type = ParseKvType(a.Value(f));
  } else {
    return false;
  }
  return true;
}

bool ModelFlags::ParseSampling(const std::string& f, Args& a) {
  if (f == "--temp") {
    sampler.temperature = float(a.Real(f, 0.0, 100.0));
  } else if (f == "--top-k") {
    sampler.top_k = uint32_t(a.Int(f, 0, 1 << 30));
  } else if (f == "--top-p") {
    sampler.top_p = float(a.Real(f, 1e-6, 1.0));
  } else if (f == "--min-p") {
    sampler.min_p = float(a.Real(f, 0.0, 1.0));
  } else if (f == "--repeat-penalty") {
    sampler.repeat_penalty = float(a.Real(f, 1e-3, 100.0));
  } else if (f == "--repeat-last-n") {
    sampler.repeat_last_n = uint32_t(a.Int(f, 0, 1 << 20));
  } else if (f == "--presence-penalty") {
    sampler.presence_penalty = float(a.Real(f, -100.0, 100.0));
  } else if (f == "--frequency-penalty") {
    sampler.frequency_penalty = float(a.Real(f, -100.0, 100.0));
  } else if (f == "-s" || f == "--seed") {
    sampler.seed = uint64_t(a.Int(f, 0, INT64_MAX));
  } else {
    return false;
  }
  return true;
}

const char* ContextFlagHelp() {
  return "  -c, --ctx-size N         context length (default: the model's training context)\n";
}

const char* ModelFlagsHelp() {
  return "  -m, --model FILE         GGUF model (required)\n"
         "  -t, --threads N          threads (default: the performance cores)\n"
         "  -b, --batch-size N       prompt tokens per graph run (default 64)\n"
         "  --isa LEVEL              cap the kernels' ISA (scalar, avx2, avx512, neon, ...)\n"
         "  --no-mmap                read the model into memory instead of mapping it\n"
         "  --no-cache               repack in memory; neither read nor write the repack cache\n"
         "                           (also LUTRA_NO_CACHE=1; where it lives: lutra-convert\n"
         "                           --cache-info)\n"
         "  -rtr, --run-time-repack  repack Q4_K matrices for the lookup kernels: faster prefill\n"
         "                           on AVX-512 CPUs, slower decode, 1.33x their memory (default:\n"
         "                           used as the file stores them)\n"
         "  --kv-type f16|f32|bf16   KV cache precision (default f16; bf16: faster attention on\n"
         "                           CPUs with AVX-512 BF16)\n";
}

const char* SamplingFlagsHelp() {
  return "  --temp T                 temperature, 0 = greedy (default 0.8)\n"
         "  --top-k K                (default 40, 0 = off)\n"
         "  --top-p P                (default 0.95, 1 = off)\n"
         "  --min-p P                (default 0.05, 0 = off)\n"
         "  --repeat-penalty R       (default 1.0 = off)\n"
         "  --repeat-last-n N        tokens the penalties look at (default 64)\n"
         "  --presence-penalty P     (default 0)\n"
         "  --frequency-penalty P    (default 0)\n"
         "  -s, --seed N             sampling seed (default 0)\n";
}

namespace {

// An --isa level this CPU (or build) lacks, named as the flag the user typed rather than as
// the library's option or LUTRA_ISA.
void CheckIsa(const char* isa) {
  if (isa == nullptr || *isa == '\0') return;
  const char *op = nullptr, *kernel = nullptr;
  if (lutra_kernel_choice(0, isa, &op, &kernel) == LUTRA_STATUS_ISA_UNAVAILABLE) {
    Fail(std::string("--isa ") + lutra_last_error());  // "--isa neon needs NEON, ..."
  }
}

// One line when the repack cache could not be used (the load still worked: the user should
// know why the next one will be slow again), and, on a terminal, where a new entry went.
void ReportCache(lutra_model* model) {
  lutra_model_info info;
  lutra_model_info_init(&info);
  if (lutra_model_get_info(model, &info) != LUTRA_STATUS_OK) return;
  if (info.cache_result == LUTRA_CACHE_FAILED) {
    std::fprintf(stderr, "%s: warning: repack cache: %s\n", ToolName(), info.cache_warning);
  } else if (info.cache_result == LUTRA_CACHE_WRITTEN && isatty(STDERR_FILENO)) {
    std::fprintf(
        stderr, "%s: repacked once for this CPU into %s; later loads read it%s%s\n", ToolName(),
        info.cache_path, *info.cache_warning != '\0' ? " (" : "",
        *info.cache_warning != '\0' ? (std::string(info.cache_warning) + ")").c_str() : "");
  }
}

void CheckContext(lutra_model* model, const ModelFlags& flags) {
  lutra_model_info info;
  lutra_model_info_init(&info);
  if (lutra_model_get_info(model, &info) != LUTRA_STATUS_OK || !flags.context_given) return;
  if (info.vocab_only || flags.model.context_length <= info.train_context_length) return;
  const std::string what = "-c " + std::to_string(flags.model.context_length) +
                           " is above the model's training context (" + info.arch +
                           ".context_length = " + std::to_string(info.train_context_length) + ")";
  if (flags.refuse_long_context) UsageError(what);
  std::fprintf(stderr, "%s: warning: %s; text past that point is unlikely to make sense\n",
               ToolName(), what.c_str());
}

}  // namespace

lutra_model* LoadModelOrDie(const ModelFlags& flags) {
  if (flags.model_path.empty()) UsageError("no model given (-m FILE)");
  CheckIsa(flags.model.isa);
  if (flags.model.use_mmap) InstallSigbusHandler();
  ProgressBar bar("loading " + flags.model_path);
  lutra_model_options o = flags.model;
  o.progress = &ProgressBar::Callback;
  o.progress_user_data = &bar;
  lutra_model* model = nullptr;
  const lutra_status s = lutra_model_load(flags.model_path.c_str(), &o, &model);
  bar.Done();
  if (s != LUTRA_STATUS_OK) Fail(lutra_last_error());
  ReportCache(model);
  CheckContext(model, flags);
  return model;
}

}  // namespace lutra::tools
