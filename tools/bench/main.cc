// lutra-bench: prompt processing (pp) and generation (tg) throughput, like llama-bench, with
// the machine's measured read bandwidth and the fraction of that roofline generation reaches
// (bytes every generated token reads: the weights plus the KV cache so far).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "lutra/lutra.h"
#include "tools/bench/bandwidth.h"
#include "tools/bench/report.h"
#include "tools/common/args.h"
#include "tools/common/model_flags.h"
#include "tools/common/output.h"
#include "tools/common/progress.h"
#include "tools/common/sigbus.h"
#include "tools/common/temp_files.h"

namespace {

using namespace lutra::tools;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string model_path, synthetic, wtype = "tq2_0", output = "md", plot;
  bool wtype_given = false;
  std::vector<int64_t> prompt = {64}, gen = {64}, depth = {0}, threads = {1, 2};
  std::vector<std::string> isas = {""};
  int64_t repetitions = 3;
  lutra_kv_type kv = LUTRA_KV_F16;
};

void Help() {
  std::printf(
      "usage: lutra-bench (-m FILE | --synthetic PRESET [--wtype TYPE]) [options]\n\n"
      "  -m, --model FILE         GGUF model\n"
      "  --synthetic PRESET       generate a model with random weights: %s\n"
      "  --wtype TYPE             its matrices' type: f32 f16 bf16 q8_0 q4_0 q4_k q6_k\n"
      "                           tq1_0 tq2_0\n"
      "                           (default tq2_0; q4_0 for presets whose rows tq2_0's\n"
      "                           256-weight blocks do not fit, such as tiny)\n"
      "  -p, --n-prompt N[,N..]   prompt lengths to time (default 64; 0 skips)\n"
      "  -n, --n-gen N[,N..]      generated lengths to time (default 64; 0 skips)\n"
      "  -d, --n-depth N[,N..]    tokens already in the context before each test (default 0;\n"
      "                           prefilled untimed: long-context decode, where the KV cache\n"
      "                           type matters)\n"
      "  -t, --threads N[,N..]    thread counts (default 1,2)\n"
      "  -r, --repetitions N      runs per test (default 3)\n"
      "  --isa L[,L..]            ISA caps to compare (e.g. avx512,avx2,scalar)\n"
      "  --kv-type f16|f32|bf16   KV cache precision (default f16)\n"
      "  -o, --output FORMAT      md (default), csv, json, jsonl\n"
      "  --plot FILE.svg          also draw tok/s against threads\n",
      lutra_synthetic_preset_names());
}

Options Parse(int argc, char** argv) {
  Options o;
  Args a(argc, argv);
  while (!a.Done()) {
    const std::string f = a.Flag();
    if (f == "-h" || f == "--help") {
      Help();
      std::exit(0);
    } else if (f == "-m" || f == "--model") {
      o.model_path = a.Value(f);
    } else if (f == "--synthetic") {
      o.synthetic = a.Value(f);
    } else if (f == "--wtype") {
      o.wtype = a.Value(f);
      o.wtype_given = true;
    } else if (f == "-p" || f == "--n-prompt") {
      o.prompt = a.IntList(f, 0, 1 << 20);
    } else if (f == "-n" || f == "--n-gen") {
      o.gen = a.IntList(f, 0, 1 << 20);
    } else if (f == "-d" || f == "--n-depth") {
      o.depth = a.IntList(f, 0, 1 << 20);
    } else if (f == "-t" || f == "--threads") {
      o.threads = a.IntList(f, 1, 1024);
    } else if (f == "-r" || f == "--repetitions") {
      o.repetitions = a.Int(f, 1, 1000);
    } else if (f == "--isa") {
      o.isas = a.StringList(f);
    } else if (f == "--kv-type") {
      o.kv = ParseKvType(a.Value(f));
    } else if (f == "-o" || f == "--output") {
      o.output = a.Value(f);
      if (o.output != "md" && o.output != "csv" && o.output != "json" && o.output != "jsonl") {
        UsageError("-o " + o.output + ": expected md, csv, json or jsonl");
      }
    } else if (f == "--plot") {
      o.plot = a.Value(f);
    } else {
      UsageError("unknown flag " + f);
    }
  }
  if (o.model_path.empty() == o.synthetic.empty()) {
    UsageError("give exactly one of -m FILE and --synthetic PRESET");
  }
  // Each ISA cap checked before any work, named as the flag.
  for (const std::string& isa : o.isas) {
    const char *op = nullptr, *kernel = nullptr;
    if (!isa.empty() && lutra_kernel_choice(0, isa.c_str(), &op, &kernel) != LUTRA_STATUS_OK) {
      Fail("--isa " + std::string(lutra_last_error()));
    }
  }
  // The plot is replaced by an ordinary write: a FIFO or device there would block or be
  // written into.
  struct stat st {};
  if (!o.plot.empty() && ::stat(o.plot.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    Fail("--plot " + o.plot + ": exists and is not a regular file; refusing to write over it");
  }
  return o;
}

// Writes the synthetic model to a fresh temporary file in $TMPDIR (or /tmp), removed however
// the process ends (temp_files.h); returns its path.
std::string WriteSynthetic(const Options& o, std::string* wtype) {
  const char* dir = std::getenv("TMPDIR");
  RemoveTempFilesOnSignals();
  InstallSigbusHandler();
  const std::string path =
      CreateTempModelFile(dir && *dir ? dir : "/tmp", "lutra-bench-" + o.synthetic);
  lutra_synthetic_options so;
  lutra_synthetic_options_init(&so);
  so.preset = o.synthetic.c_str();
  so.weight_type = wtype->c_str();
  std::fprintf(stderr, "lutra-bench: writing synthetic %s (%s) to %s\n", o.synthetic.c_str(),
               wtype->c_str(), path.c_str());
  lutra_status s = lutra_write_synthetic_model(path.c_str(), &so);
  // The default type does not fit every preset (tq2_0 needs rows of 256 weights): the default
  // then falls back to q4_0, which fits them all; a type the user asked for is never changed.
  if (s == LUTRA_STATUS_INVALID_ARGUMENT && !o.wtype_given) {
    std::fprintf(stderr, "lutra-bench: %s; using q4_0 instead (give --wtype to choose)\n",
                 lutra_last_error());
    *wtype = "q4_0";
    so.weight_type = wtype->c_str();
    s = lutra_write_synthetic_model(path.c_str(), &so);
  }
  if (s != LUTRA_STATUS_OK) Fail(lutra_last_error());
  return path;
}

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void Check(lutra_status s) {
  if (s != LUTRA_STATUS_OK) Fail(lutra_last_error());
}

}  // namespace

int main(int argc, char** argv) {
  SetToolName("lutra-bench");
  const Options o = Parse(argc, argv);

  std::string path = o.model_path, model_name = o.model_path;
  if (!o.synthetic.empty()) {
    std::string wtype = o.wtype;
    path = WriteSynthetic(o, &wtype);
    model_name = "synthetic " + o.synthetic + " " + wtype;
  } else {
    InstallSigbusHandler();
  }

  int64_t max_tokens = 1, max_depth = 0;
  for (int64_t p : o.prompt) max_tokens = std::max(max_tokens, p);
  for (int64_t n : o.gen) max_tokens = std::max(max_tokens, n);
  for (int64_t d : o.depth) max_depth = std::max(max_depth, d);

  std::vector<BenchResult> results;
  std::mt19937 rng(1);
  for (const std::string& isa : o.isas) {
    for (int64_t threads : o.threads) {
      const double bandwidth = MeasureReadBandwidth(size_t(threads));
      lutra_model_options mo;
      lutra_model_options_init(&mo);
      mo.threads = uint32_t(threads);
      mo.isa = isa.empty() ? nullptr : isa.c_str();
      mo.context_length = uint32_t(max_depth + max_tokens);
      mo.kv_type = o.kv;
      ProgressBar bar("loading " + model_name);
      mo.progress = &ProgressBar::Callback;
      mo.progress_user_data = &bar;
      lutra_model* model = nullptr;
      Check(lutra_model_load(path.c_str(), &mo, &model));
      bar.Done();
      lutra_model_info info;
      lutra_model_info_init(&info);
      Check(lutra_model_get_info(model, &info));
      lutra_session* session = nullptr;
      Check(lutra_session_create(model, &session));
      std::uniform_int_distribution<int32_t> token(0, int32_t(info.n_vocab) - 1);
      const double kv_bytes_per_position =
          2.0 * info.n_layer * info.n_head_kv * info.head_dim * (o.kv == LUTRA_KV_F32 ? 4 : 2);

      auto base = [&](const std::string& test, uint32_t np, uint32_t ng, uint32_t depth) {
        BenchResult r;
        r.model = model_name;
        r.model_bytes = info.file_bytes;
        r.n_params = info.n_params;
        r.isa = isa.empty() ? "native" : isa;
        r.threads = uint32_t(threads);
        r.test = depth > 0 ? test + " @ d" + std::to_string(depth) : test;
        r.n_prompt = np;
        r.n_gen = ng;
        r.n_depth = depth;
        r.bandwidth = bandwidth;
        return r;
      };
      // An empty session holding `depth` random tokens (prefilled, not timed).
      std::vector<int32_t> context;
      auto start_at = [&](int64_t depth) {
        Check(lutra_session_reset(session));
        if (depth == 0) return;
        context.resize(static_cast<size_t>(depth));
        for (int32_t& t : context) t = token(rng);
        Check(lutra_session_prefill(session, context.data(), context.size(), nullptr, nullptr));
      };
      for (int64_t depth : o.depth) {
        for (int64_t p : o.prompt) {
          if (p == 0) continue;
          BenchResult r = base("pp" + std::to_string(p), uint32_t(p), 0, uint32_t(depth));
          std::vector<int32_t> tokens(static_cast<size_t>(p));
          for (int rep = -1; rep < o.repetitions; ++rep) {  // rep -1: warm-up
            for (int32_t& t : tokens) t = token(rng);
            start_at(depth);
            const auto t0 = Clock::now();
            Check(lutra_session_prefill(session, tokens.data(), tokens.size(), nullptr, nullptr));
            if (rep >= 0) r.samples_ts.push_back(double(p) / Seconds(t0));
          }
          results.push_back(r);
        }
        for (int64_t n : o.gen) {
          if (n == 0) continue;
          BenchResult r = base("tg" + std::to_string(n), 0, uint32_t(n), uint32_t(depth));
          // Weights once per token, and the KV cache up to the token's position (mean
          // depth + n/2).
          r.bytes_per_token =
              double(info.decode_bytes) + kv_bytes_per_position * (double(depth) + double(n) / 2);
          for (int rep = -1; rep < o.repetitions; ++rep) {
            start_at(depth);
            const auto t0 = Clock::now();
            for (int64_t i = 0; i < n; ++i) {
              Check(lutra_session_decode(session, token(rng), nullptr, nullptr));
            }
            if (rep >= 0) r.samples_ts.push_back(double(n) / Seconds(t0));
          }
          results.push_back(r);
        }
      }
      lutra_session_free(session);
      lutra_model_free(model);
    }
  }

  std::string out;
  if (o.output == "md") out = FormatMarkdown(results);
  if (o.output == "csv") out = FormatCsv(results);
  if (o.output == "json" || o.output == "jsonl") out = FormatJson(results, o.output == "jsonl");
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!o.plot.empty()) {
    std::ofstream svg(o.plot);
    svg << FormatSvg(results);
    svg.close();
    if (!svg) Fail("cannot write " + o.plot);
  }
  return FinishOutput();
}
