// lutra-bench: prompt processing (pp) and generation (tg) throughput, like llama-bench, with
// the machine's measured read bandwidth and the fraction of that roofline generation reaches
// (bytes every generated token reads: the weights plus the KV cache so far), and per
// configuration the model's load times with a cold and a warm repack cache and the peak
// resident memory of loading it and running its tests.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "lutra/lutra.h"
#include "tools/bench/bandwidth.h"
#include "tools/bench/child_process.h"
#include "tools/bench/llc.h"
#include "tools/bench/measure.h"
#include "tools/bench/report.h"
#include "tools/common/args.h"
#include "tools/common/model_flags.h"
#include "tools/common/output.h"
#include "tools/common/sigbus.h"
#include "tools/common/temp_files.h"

namespace {

using namespace lutra::tools;

struct Options {
  std::string model_path, synthetic, wtype = "tq2_0", output = "md", plot;
  bool wtype_given = false, load_stats = true, repack_q4_k = false;
  std::vector<int64_t> prompt = {64}, gen = {64}, depth = {0}, threads = {1, 2};
  std::vector<int64_t> batch;  // empty: the model's default, and test names without it
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
      "                           tq1_0 tq2_0 i2_s\n"
      "                           (default tq2_0; q4_0 for presets whose rows tq2_0's\n"
      "                           256-weight blocks do not fit, such as tiny)\n"
      "  -p, --n-prompt N[,N..]   prompt lengths to time (default 64; 0 skips)\n"
      "  -n, --n-gen N[,N..]      generated lengths to time (default 64; 0 skips)\n"
      "  -d, --n-depth N[,N..]    tokens already in the context before each test (default 0;\n"
      "                           prefilled untimed: long-context decode, where the KV cache\n"
      "                           type matters)\n"
      "  -b, --batch-size N[,N..] prompt tokens per graph run of the pp tests, each timed\n"
      "                           (default: the model's, 64; named in the test: pp512 b128)\n"
      "  -t, --threads N[,N..]    thread counts (default 1,2)\n"
      "  -r, --repetitions N      runs per test (default 3)\n"
      "  --isa L[,L..]            ISA caps to compare (e.g. avx512,avx2,scalar)\n"
      "  --kv-type f16|f32|bf16   KV cache precision (default f16)\n"
      "  -rtr, --run-time-repack  repack Q4_K matrices for the lookup kernels (see lutra-run)\n"
      "  --no-load-stats          skip the two extra loads per configuration that time\n"
      "                           loading with a cold and a warm repack cache\n"
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
    } else if (f == "-b" || f == "--batch-size") {
      o.batch = a.IntList(f, 1, 1 << 16);
    } else if (f == "-t" || f == "--threads") {
      o.threads = a.IntList(f, 1, 1024);
    } else if (f == "-r" || f == "--repetitions") {
      o.repetitions = a.Int(f, 1, 1000);
    } else if (f == "--isa") {
      o.isas = a.StringList(f);
    } else if (f == "--kv-type") {
      o.kv = ParseKvType(a.Value(f));
    } else if (f == "-rtr" || f == "--run-time-repack") {
      o.repack_q4_k = true;
    } else if (f == "--no-load-stats") {
      o.load_stats = false;
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

// Where temporary files go: $TMPDIR, else /tmp.
std::string TempRoot() {
  const char* dir = std::getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

// Writes the synthetic model to a fresh temporary file in TempRoot(), removed however the
// process ends (temp_files.h); returns its path.
std::string WriteSynthetic(const Options& o, std::string* wtype) {
  const std::string path = CreateTempModelFile(TempRoot(), "lutra-bench-" + o.synthetic);
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

// Every test of one configuration, in the order they run and are reported.
std::vector<TestSpec> Tests(const Options& o) {
  std::vector<TestSpec> tests;
  for (int64_t depth : o.depth) {
    const std::string at = depth > 0 ? " @ d" + std::to_string(depth) : "";
    for (int64_t p : o.prompt) {
      if (p == 0) continue;
      if (o.batch.empty()) {
        tests.push_back({"pp" + std::to_string(p) + at, uint32_t(p), 0, uint32_t(depth)});
      }
      for (int64_t b : o.batch) {
        tests.push_back({"pp" + std::to_string(p) + " b" + std::to_string(b) + at, uint32_t(p), 0,
                         uint32_t(depth), uint32_t(b)});
      }
    }
    for (int64_t n : o.gen) {
      if (n > 0) tests.push_back({"tg" + std::to_string(n) + at, 0, uint32_t(n), uint32_t(depth)});
    }
  }
  return tests;
}

// The roofline reference of a step of `step_bytes` at `threads` threads: measured in this
// (parent) process, after the configuration's child has exited, so its buffer neither counts
// in the child's peak RSS nor sits in memory beside the model; measured once per buffer size
// and thread count.
class References {
 public:
  explicit References(uint64_t llc_bytes) : llc_bytes_(llc_bytes) {}
  std::pair<double, size_t> Get(uint32_t threads, double step_bytes) {
    const size_t buffer = ReferenceBufferBytes(uint64_t(step_bytes), llc_bytes_);
    auto it = measured_.find({threads, buffer});
    if (it == measured_.end()) {
      it = measured_.emplace(std::make_pair(threads, buffer), MeasureReadBandwidth(threads, buffer))
               .first;
    }
    return {it->second, buffer};
  }

 private:
  uint64_t llc_bytes_;
  std::map<std::pair<uint32_t, size_t>, double> measured_;
};

// The int8 multiply-add peak of an (isa, threads) configuration, measured in the parent like
// the bandwidth reference, once each.
class Int8Peaks {
 public:
  std::pair<double, std::string> Get(const std::string& isa, uint32_t threads) {
    auto it = measured_.find({isa, threads});
    if (it == measured_.end()) {
      double macs = 0;
      const char* name = nullptr;
      if (lutra_measure_int8_peak(threads, isa.empty() ? nullptr : isa.c_str(), &macs, &name) !=
          LUTRA_STATUS_OK) {
        macs = 0, name = "";
      }
      it = measured_.emplace(std::make_pair(isa, threads), std::make_pair(macs, name)).first;
    }
    return it->second;
  }

 private:
  std::map<std::pair<std::string, uint32_t>, std::pair<double, std::string>> measured_;
};

const char* CacheResultName(int32_t r) {
  switch (r) {
    case LUTRA_CACHE_UNUSED:
      return "cache unused";
    case LUTRA_CACHE_HIT:
      return "cache hit";
    case LUTRA_CACHE_WRITTEN:
      return "cache written";
    case LUTRA_CACHE_FAILED:
      return "cache failed";
    default:
      return "not measured";
  }
}

// load_warm_s is only a cached load when the second load read the cache: say so otherwise
// (nothing repacked, as for f16 files; the cache failing; an engine without the cache), once.
void NoteWarmLoad(const ConfigHeader& h) {
  static bool noted = false;
  if (noted || h.cache_warm < 0 || h.cache_warm == LUTRA_CACHE_HIT) return;
  noted = true;
  std::fprintf(stderr, "lutra-bench: note: the warm load did not read the repack cache (%s%s%s)\n",
               CacheResultName(h.cache_warm), h.cache_warning[0] ? ": " : "", h.cache_warning);
}

}  // namespace

int main(int argc, char** argv) {
  SetToolName("lutra-bench");
  const Options o = Parse(argc, argv);

  RemoveTempFilesOnSignals();
  InstallSigbusHandler();
  std::string path = o.model_path, model_name = o.model_path;
  if (!o.synthetic.empty()) {
    std::string wtype = o.wtype;
    path = WriteSynthetic(o, &wtype);
    model_name = "synthetic " + o.synthetic + " " + wtype;
  }

  int64_t max_tokens = 1, max_depth = 0;
  for (int64_t p : o.prompt) max_tokens = std::max(max_tokens, p);
  for (int64_t n : o.gen) max_tokens = std::max(max_tokens, n);
  for (int64_t d : o.depth) max_depth = std::max(max_depth, d);

  const LastLevelCache llc = FindLastLevelCache();
  References references(llc.bytes);
  Int8Peaks int8_peaks;
  // One private cache directory for the run, emptied between configurations so every cold
  // load starts from nothing; removed however the process ends, with what the engine wrote.
  const std::string cache_root = o.load_stats ? CreateTempDir(TempRoot(), "lutra-bench-cache") : "";
  const std::vector<TestSpec> tests = Tests(o);
  std::vector<BenchResult> results;
  for (const std::string& isa : o.isas) {
    for (int64_t threads : o.threads) {
      ConfigOptions co;
      co.path = path;
      co.model_name = model_name;
      co.isa = isa;
      co.threads = uint32_t(threads);
      co.context_length = uint32_t(max_depth + max_tokens);
      co.kv = o.kv;
      co.repack_q4_k = o.repack_q4_k;
      co.repetitions = int(o.repetitions);
      if (o.load_stats) {
        co.cache_dir = cache_root + "/cache";
        if (::mkdir(co.cache_dir.c_str(), 0700) != 0) {
          Fail("cannot create " + co.cache_dir + ": " + std::strerror(errno));
        }
      }
      const size_t reps = size_t(o.repetitions);
      SharedMemory memory(ConfigResults::Bytes(tests.size(), reps));
      const ConfigResults shared(memory.data(), tests.size(), reps);
      // Every timed load is the first of a fresh process, as a user's load is: a process's
      // second load of a model was about twice as fast with no cache involved (tinyllama-1.1b
      // tq2_0 here: 1.3-2.0 s first, 0.6-0.8 s after a load), which would have counted as the
      // cache's gain. The peak RSS is the largest of the three processes'.
      uint64_t peak_rss = 0;
      if (o.load_stats) {
        peak_rss = RunInChild([&] { TimeLoad(co, false, shared); });
        peak_rss = std::max(peak_rss, RunInChild([&] { TimeLoad(co, true, shared); }));
        std::error_code ec;
        std::filesystem::remove_all(co.cache_dir, ec);
      }
      peak_rss = std::max(peak_rss, RunInChild([&] { RunTests(co, tests, shared); }));
      const ConfigHeader& h = shared.header();
      NoteWarmLoad(h);
      for (size_t i = 0; i < tests.size(); ++i) {
        const TestSpec& t = tests[i];
        BenchResult r;
        r.model = model_name;
        r.model_bytes = h.file_bytes;
        r.n_params = h.n_params;
        r.isa = isa.empty() ? "native" : isa;
        r.threads = uint32_t(threads);
        r.test = t.name;
        r.n_prompt = t.n_prompt;
        r.n_gen = t.n_gen;
        r.n_depth = t.n_depth;
        r.n_batch = t.n_batch;
        r.samples_ts.assign(shared.samples(i), shared.samples(i) + reps);
        // tg: the reference reads what one of its steps reads; pp: the weights.
        r.bytes_per_token = t.n_gen > 0 ? shared.bytes_per_token(i) : 0.0;
        const auto [bandwidth, buffer] = references.Get(
            uint32_t(threads), t.n_gen > 0 ? r.bytes_per_token : double(h.decode_bytes));
        r.bandwidth = bandwidth;
        r.bandwidth_buffer_bytes = buffer;
        if (t.n_gen == 0) {
          r.macs_per_token = double(h.matmul_weights);
          std::tie(r.int8_peak, r.int8_peak_kernel) = int8_peaks.Get(isa, uint32_t(threads));
        }
        r.load_cold_s = h.load_cold_s;
        r.load_warm_s = h.load_warm_s;
        r.peak_rss = peak_rss;
        results.push_back(r);
      }
    }
  }

  std::string out;
  if (o.output == "md") out = FormatMarkdown(results, llc);
  if (o.output == "csv") out = FormatCsv(results, llc);
  if (o.output == "json" || o.output == "jsonl") {
    out = FormatJson(results, llc, o.output == "jsonl");
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!o.plot.empty()) {
    std::ofstream svg(o.plot);
    svg << FormatSvg(results);
    svg.close();
    if (!svg) Fail("cannot write " + o.plot);
  }
  return FinishOutput();
}
