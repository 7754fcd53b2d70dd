// lutra-convert: GGUF (F32/F16/BF16/Q8_0, or Q4_0/TQ1_0/TQ2_0 for lossless repacks) to a GGUF
// with lutra-packed low-bit weight matrices (docs/packed-format.md). One line per tensor and a
// total on stdout (bits per weight incl. scales, zero points and outliers; relative squared
// reconstruction error; time), a progress bar on stderr when it is a terminal. Ctrl-C stops
// and leaves no file behind.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "lutra/lutra.h"
#include "tools/common/args.h"
#include "tools/common/output.h"
#include "tools/common/progress.h"
#include "tools/common/temp_files.h"

namespace {

using lutra::tools::Fail;
using lutra::tools::UsageError;

volatile std::sig_atomic_t g_stop = 0;
bool g_output_failed = false;  // stdout lost a tensor line: stop, the report would be lost

void OnSignal(int) {
  g_stop = 1;
}

int ShouldStop(void*) {
  return g_stop != 0 || g_output_failed;
}

struct Context {
  lutra::tools::ProgressBar* bar = nullptr;
  bool quiet = false;
};

void OnTensor(const lutra_convert_tensor_report* r, void* user) {
  auto* c = static_cast<Context*>(user);
  if (c->quiet) return;
  std::printf("[%4zu/%4zu] %-32s %-8s -> %-18s %12llu w %7.3f bpw  rel.err %9.3e%s  %6.2f s\n",
              r->index + 1, r->count, r->name, r->source_type, r->target_type,
              static_cast<unsigned long long>(r->elements), r->bits_per_weight, r->relative_error,
              r->lossless ? " (lossless)" : "           ", r->seconds);
  if (!lutra::tools::FlushOutput()) g_output_failed = true;
}

void OnProgress(float f, void* user) {
  static_cast<Context*>(user)->bar->Update(f);
}

[[noreturn]] void Usage() {
  std::printf(
      "usage: lutra-convert IN.gguf OUT.gguf [options]\n"
      "       lutra-convert --synthetic PRESET OUT.gguf [options]\n"
      "  --wtype T         weight matrices: q1, q2 (default), q3, q4, tq (ternary absmean),\n"
      "                    or a ggml type f32, f16, bf16, q8_0, q4_0, tq1_0, tq2_0\n"
      "  --group G         weights per scale: 32, 64 (default), 128\n"
      "  --asym            a zero point per group (default: symmetric)\n"
      "  --method M        search (default: clipping-range search) or rtn\n"
      "  --outliers F      keep the largest F of each row's weights as fp16 corrections\n"
      "                    (e.g. 0.004; 32 bits each; default 0)\n"
      "  --keep PAT=TYPE   type for tensors matching a shell pattern (repeatable, first match\n"
      "                    wins; TYPE as --wtype or 'source'); defaults: token_embd.weight in\n"
      "                    a <=16-bit ggml type, output.weight at least q4\n"
      "  --threads N       default: the performance cores\n"
      "  --synthetic P     input: a synthetic model of preset P with F16 weights, written to a\n"
      "                    temporary file next to OUT and removed afterwards (presets: %s)\n"
      "  --quiet           no per-tensor lines\n"
      "\n"
      "       lutra-convert --cache-info [DIR]\n"
      "       lutra-convert --cache-clear [DIR]\n"
      "  the repack cache (DIR: default $LUTRA_CACHE_DIR, else $XDG_CACHE_HOME/lutra, else\n"
      "  ~/.cache/lutra): list its entries, their sizes and sources, or remove them all\n",
      lutra_synthetic_preset_names());
  std::exit(0);
}

void PrintEntry(const lutra_cache_entry* e, void*) {
  char when[32] = "?";
  const time_t t = time_t(e->last_used);
  if (struct tm tm; localtime_r(&t, &tm) != nullptr) {
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
  }
  std::printf("%10.1f MiB  %s  %s\n    from %s\n", double(e->bytes) / (1 << 20), when, e->path,
              *e->source != '\0' ? e->source : "(unreadable header)");
}

// --cache-info / --cache-clear [DIR]: the whole run.
[[noreturn]] void CacheCommand(const std::string& command, lutra::tools::Args& args) {
  std::string dir;
  if (!args.Done()) dir = args.Flag();
  if (!args.Done()) UsageError(command + " takes at most one directory");
  const std::string shown = dir.empty() ? lutra_cache_default_dir() : dir;
  if (command == "--cache-clear") {
    uint64_t removed = 0;
    if (lutra_cache_clear(dir.c_str(), &removed) != LUTRA_STATUS_OK) Fail(lutra_last_error());
    std::printf("removed %.1f MiB from %s\n", double(removed) / (1 << 20), shown.c_str());
  } else {
    uint64_t total = 0, max = 0;
    std::printf("repack cache: %s\n", shown.c_str());
    if (lutra_cache_list(dir.c_str(), &PrintEntry, nullptr, &total, &max) != LUTRA_STATUS_OK) {
      Fail(lutra_last_error());
    }
    std::printf("total %.1f MiB of at most %.1f MiB (LUTRA_CACHE_MAX)\n", double(total) / (1 << 20),
                double(max) / (1 << 20));
  }
  if (!lutra::tools::FlushOutput()) Fail("writing to standard output failed");
  std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  lutra::tools::SetToolName("lutra-convert");
  lutra_convert_options o;
  lutra_convert_options_init(&o);
  std::vector<std::string> positional, keep;
  std::string wtype = "q2", method = "search", synthetic;
  bool quiet = false;
  lutra::tools::Args args(argc, argv);
  while (!args.Done()) {
    const std::string f = args.Flag();
    if (f == "-h" || f == "--help") {
      Usage();
    } else if (f == "--cache-info" || f == "--cache-clear") {
      if (!positional.empty() || argc > 3) UsageError(f + " is a command of its own");
      CacheCommand(f, args);
    } else if (f == "--wtype") {
      wtype = args.String(f);
    } else if (f == "--group") {
      o.group = uint32_t(args.Int(f, 1, 1024));
    } else if (f == "--asym") {
      o.asymmetric = 1;
    } else if (f == "--method") {
      method = args.String(f);
    } else if (f == "--outliers") {
      o.outlier_fraction = float(args.Real(f, 0.0, 0.1));
    } else if (f == "--keep") {
      keep.push_back(args.String(f));
    } else if (f == "--threads" || f == "-t") {
      o.threads = uint32_t(args.Int(f, 1, 1024));
    } else if (f == "--synthetic") {
      synthetic = args.String(f);
    } else if (f == "--quiet") {
      quiet = true;
    } else if (!f.empty() && f[0] == '-') {
      UsageError("unknown option " + f);
    } else {
      positional.push_back(f);
    }
  }
  const size_t want = synthetic.empty() ? 2 : 1;
  if (positional.size() != want) {
    UsageError(synthetic.empty() ? "expected IN.gguf OUT.gguf"
                                 : "with --synthetic, expected only OUT.gguf");
  }
  const std::string output = positional.back();
  std::string input = synthetic.empty() ? positional[0] : "";

  std::vector<const char*> keep_c;
  for (const std::string& k : keep) keep_c.push_back(k.c_str());
  o.wtype = wtype.c_str();
  o.method = method.c_str();
  o.keep = keep_c.data();
  o.n_keep = keep_c.size();
  // Options and the output path are checked before any work (a synthetic model can take
  // minutes to write): a bad value is a usage error (2), an output path that is a directory,
  // FIFO or device is refused (1).
  if (const lutra_status cs = lutra_convert_check(output.c_str(), &o); cs != LUTRA_STATUS_OK) {
    if (cs == LUTRA_STATUS_INVALID_ARGUMENT) UsageError(lutra_last_error());
    Fail(lutra_last_error());
  }

  if (!synthetic.empty()) {
    // Written next to OUT under a fresh name; removed at exit, and by the signal handler while
    // it is being written (the writer cannot be stopped midway).
    const size_t slash = output.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : output.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? output : output.substr(slash + 1);
    lutra::tools::RemoveTempFilesOnSignals();
    input = lutra::tools::CreateTempModelFile(dir, base + ".synthetic");
    lutra_synthetic_options so;
    lutra_synthetic_options_init(&so);
    so.preset = synthetic.c_str();
    so.weight_type = "f16";
    so.embedding_type = "f16";
    so.output_type = "f16";
    std::fprintf(stderr, "lutra-convert: writing synthetic %s (F16) to %s\n", synthetic.c_str(),
                 input.c_str());
    if (lutra_write_synthetic_model(input.c_str(), &so) != LUTRA_STATUS_OK) {
      Fail(lutra_last_error());
    }
  }
  // From here a signal stops the conversion between tensors; the converter removes its
  // temporary output itself.
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  lutra::tools::ProgressBar bar("converting");
  Context ctx{&bar, quiet};
  o.on_tensor = OnTensor;
  o.progress = OnProgress;
  o.should_stop = ShouldStop;
  o.user_data = &ctx;
  lutra_convert_summary s;
  const lutra_status st = lutra_convert(input.c_str(), output.c_str(), &o, &s);
  bar.Done();
  if (!synthetic.empty()) std::remove(input.c_str());
  if (g_output_failed) lutra::tools::FailOutput();
  if (st != LUTRA_STATUS_OK) {
    if (s.stopped) {
      std::fprintf(stderr, "lutra-convert: interrupted; nothing written\n");
      return 130;
    }
    Fail(lutra_last_error());
  }
  std::printf(
      "total: %llu tensors, %llu weights, %.1f MiB; packed matrices %llu weights at %.3f bpw, "
      "rel.err %.3e; %.2f s\n",
      static_cast<unsigned long long>(s.tensors), static_cast<unsigned long long>(s.elements),
      double(s.bytes) / 1048576.0, static_cast<unsigned long long>(s.quantized_elements),
      s.bits_per_weight, s.relative_error, s.seconds);
  return lutra::tools::FinishOutput();
}
