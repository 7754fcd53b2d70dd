// Model load time through the C API (lutra_model_load) for one synthetic file of every matrix
// type, with the repack cache off, cold (an empty cache directory every iteration: the load
// repacks and writes the cache) and warm (a cache the preparing load wrote: the load reads it).
// The files (preset "small": 256 dim, 4 layers, vocab 1024; LUTRA_LOAD_BENCH_PRESET picks
// another, such as tinyllama-1.1b) are written at the first run into a private temporary
// directory, removed at exit with the cache directories. Only the load is timed (manual time),
// not freeing the model or making and removing cache directories. Counters: the file's size
// (file_bytes) and bytes/s of file loaded; the label says what the cache did on the last load
// (a warm load that is not a "hit" means the cache was not used: f16 files repack nothing).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "lutra/lutra.h"

namespace {

const char* const kTypes[] = {"f16", "q8_0", "q4_0", "q4_k", "q6_k", "tq1_0", "tq2_0"};

enum class Cache { kOff, kCold, kWarm };

std::string Env(const char* name, const char* def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : def;
}

// The temporary directory and the model of each type in it; generated once per process.
struct Models {
  std::string dir, error;
  std::map<std::string, std::string> path;
  ~Models() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

const Models& Generated() {
  static Models m = [] {
    Models g;
    std::string dir = (std::filesystem::temp_directory_path() / "lutra-load-bench-XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) {
      g.error = "cannot create a temporary directory";
      return g;
    }
    g.dir = dir;
    const std::string preset = Env("LUTRA_LOAD_BENCH_PRESET", "small");
    for (const char* type : kTypes) {
      const std::string path = dir + "/" + preset + "-" + type + ".gguf";
      lutra_synthetic_options so;
      lutra_synthetic_options_init(&so);
      so.preset = preset.c_str();
      so.weight_type = type;
      if (lutra_write_synthetic_model(path.c_str(), &so) != LUTRA_STATUS_OK) {
        g.error = std::string(type) + ": " + lutra_last_error();
        return g;
      }
      g.path[type] = path;
    }
    return g;
  }();
  return m;
}

const char* CacheResultName(lutra_cache_result r) {
  switch (r) {
    case LUTRA_CACHE_UNUSED:
      return "cache unused";
    case LUTRA_CACHE_HIT:
      return "cache hit";
    case LUTRA_CACHE_WRITTEN:
      return "cache written";
    case LUTRA_CACHE_FAILED:
      return "cache failed";
  }
  return "?";
}

// One load; its wall time in *seconds and its info in *info (the model is freed). False, with
// the benchmark skipped, on an error.
bool LoadOnce(benchmark::State& state, const std::string& path, const lutra_model_options& mo,
              double* seconds, lutra_model_info* info) {
  lutra_model* model = nullptr;
  const auto t0 = std::chrono::steady_clock::now();
  const lutra_status s = lutra_model_load(path.c_str(), &mo, &model);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (s != LUTRA_STATUS_OK) {
    state.SkipWithError(lutra_last_error());
    return false;
  }
  lutra_model_info_init(info);
  const bool ok = lutra_model_get_info(model, info) == LUTRA_STATUS_OK;
  lutra_model_free(model);
  if (!ok) state.SkipWithError("lutra_model_get_info failed");
  return ok;
}

void BM_Load(benchmark::State& state, const std::string& type, Cache cache) {
  const Models& m = Generated();
  if (!m.error.empty()) return state.SkipWithError(m.error.c_str());
  const std::string& path = m.path.at(type);
  const std::string cache_dir = m.dir + "/cache-" + type;
  lutra_model_options mo;
  lutra_model_options_init(&mo);
  mo.cache = cache == Cache::kOff ? LUTRA_CACHE_OFF : LUTRA_CACHE_ON;
  mo.cache_dir = cache_dir.c_str();
  std::error_code ec;
  std::filesystem::remove_all(cache_dir, ec);
  std::filesystem::create_directory(cache_dir, ec);
  double seconds = 0;
  lutra_model_info info;
  lutra_model_info_init(&info);
  // Warm: the preparing load writes the cache every timed load reads.
  if (cache == Cache::kWarm && !LoadOnce(state, path, mo, &seconds, &info)) return;
  for (auto _ : state) {
    if (cache == Cache::kCold) {  // empty again: this load repacks and writes the cache
      std::filesystem::remove_all(cache_dir, ec);
      std::filesystem::create_directory(cache_dir, ec);
    }
    if (!LoadOnce(state, path, mo, &seconds, &info)) break;
    state.SetIterationTime(seconds);
  }
  std::filesystem::remove_all(cache_dir, ec);
  state.counters["file_bytes"] = double(info.file_bytes);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(info.file_bytes));
  const char* warning = info.cache_warning != nullptr ? info.cache_warning : "";
  state.SetLabel(std::string(CacheResultName(info.cache_result)) + (*warning ? ": " : "") +
                 warning);
}

const bool kRegistered = [] {
  for (const char* type : kTypes) {
    for (const auto& [name, cache] : {std::pair<const char*, Cache>{"cache_off", Cache::kOff},
                                      {"cold", Cache::kCold},
                                      {"warm", Cache::kWarm}}) {
      benchmark::RegisterBenchmark((std::string("model_load/") + type + "/" + name).c_str(),
                                   [type = std::string(type), cache = cache](benchmark::State& s) {
                                     BM_Load(s, type, cache);
                                   })
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
