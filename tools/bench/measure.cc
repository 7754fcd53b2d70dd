#include "tools/bench/measure.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

#include "tools/common/args.h"
#include "tools/common/progress.h"

namespace lutra::tools {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void Check(lutra_status s) {
  if (s != LUTRA_STATUS_OK) Fail(lutra_last_error());
}

lutra_model_options ModelOptions(const ConfigOptions& o) {
  lutra_model_options mo;
  lutra_model_options_init(&mo);
  mo.threads = o.threads;
  mo.isa = o.isa.empty() ? nullptr : o.isa.c_str();
  mo.context_length = o.context_length;
  mo.kv_type = o.kv;
  mo.repack_q4_k = o.repack_q4_k ? 1 : 0;
  return mo;
}

struct Loaded {
  lutra_model* model = nullptr;
  lutra_model_info info;
  double seconds = 0;
};

// Only lutra_model_load is timed: the page cache keeps the file (just written or just read),
// so the figure is the load's own work (parsing, planning, repacking or reading the cache).
Loaded Load(const ConfigOptions& o, lutra_model_options mo, const std::string& what) {
  Loaded l;
  ProgressBar bar("loading " + o.model_name + what);
  mo.progress = &ProgressBar::Callback;
  mo.progress_user_data = &bar;
  const auto t0 = Clock::now();
  Check(lutra_model_load(o.path.c_str(), &mo, &l.model));
  l.seconds = Seconds(t0);
  bar.Done();
  lutra_model_info_init(&l.info);
  Check(lutra_model_get_info(l.model, &l.info));
  return l;
}

}  // namespace

size_t ConfigResults::Bytes(size_t tests, size_t repetitions) {
  return sizeof(ConfigHeader) + tests * (1 + repetitions) * sizeof(double);
}

ConfigResults::ConfigResults(void* memory, size_t, size_t repetitions)
    : header_(static_cast<ConfigHeader*>(memory)),
      values_(reinterpret_cast<double*>(static_cast<char*>(memory) + sizeof(ConfigHeader))),
      stride_(1 + repetitions) {
  header_->load_cold_s = header_->load_warm_s = -1;
  header_->cache_cold = header_->cache_warm = -1;
}

// The cache is forced on: LUTRA_NO_CACHE in the environment would otherwise turn both loads
// into ordinary ones.
void TimeLoad(const ConfigOptions& o, bool warm, const ConfigResults& out) {
  ConfigHeader& h = out.header();
  lutra_model_options mo = ModelOptions(o);
  mo.cache = LUTRA_CACHE_ON;
  mo.cache_dir = o.cache_dir.c_str();
  Loaded l = Load(o, mo, warm ? " (warm cache)" : " (cold cache)");
  (warm ? h.load_warm_s : h.load_cold_s) = l.seconds;
  (warm ? h.cache_warm : h.cache_cold) = int32_t(l.info.cache_result);
  const char* w = l.info.cache_warning;
  if (w != nullptr && *w != '\0') std::strncpy(h.cache_warning, w, sizeof h.cache_warning - 1);
  lutra_model_free(l.model);
}

void RunTests(const ConfigOptions& o, const std::vector<TestSpec>& tests,
              const ConfigResults& out) {
  ConfigHeader& h = out.header();
  // A model loaded without the cache, as before it existed: the tok/s compare with earlier
  // runs and do not depend on --no-load-stats, and benchmarking never writes into the user's
  // cache directory.
  lutra_model_options mo = ModelOptions(o);
  mo.cache = LUTRA_CACHE_OFF;
  Loaded l = Load(o, mo, "");
  const lutra_model_info& info = l.info;
  h.file_bytes = info.file_bytes;
  h.n_params = info.n_params;
  h.decode_bytes = info.decode_bytes;
  h.matmul_weights = info.matmul_weights;
  lutra_session* session = nullptr;
  uint32_t session_batch = 0;  // 0: the model's
  Check(lutra_session_create(l.model, &session));
  // A pp test with its own batch size runs in a session made with it.
  auto use_batch = [&](uint32_t batch) {
    if (batch == session_batch) return;
    lutra_session_free(session);
    lutra_session_options so;
    lutra_session_options_init(&so);
    so.batch = batch;
    Check(lutra_session_create_with_options(l.model, &so, &session));
    session_batch = batch;
  };
  std::mt19937 rng(1);
  std::uniform_int_distribution<int32_t> token(0, int32_t(info.n_vocab) - 1);
  // KV bytes a decode step reads at a depth: every position of the global layers, the last
  // sliding_window ones of the sliding layers.
  const double kv_bytes_per_layer_position =
      2.0 * info.n_head_kv * info.head_dim * (o.kv == LUTRA_KV_F32 ? 4 : 2);
  auto kv_read_bytes = [&](double depth) {
    const double sliding = info.n_layer_sliding;
    return kv_bytes_per_layer_position * ((double(info.n_layer) - sliding) * depth +
                                          sliding * std::min(depth, double(info.sliding_window)));
  };

  // An empty session holding `depth` random tokens (prefilled, not timed).
  std::vector<int32_t> context;
  auto start_at = [&](uint32_t depth) {
    Check(lutra_session_reset(session));
    if (depth == 0) return;
    context.resize(depth);
    for (int32_t& t : context) t = token(rng);
    Check(lutra_session_prefill(session, context.data(), context.size(), nullptr, nullptr));
  };
  for (size_t i = 0; i < tests.size(); ++i) {
    const TestSpec& t = tests[i];
    double* samples = out.samples(i);
    use_batch(t.n_batch);
    if (t.n_prompt > 0) {
      std::vector<int32_t> tokens(t.n_prompt);
      for (int rep = -1; rep < o.repetitions; ++rep) {  // rep -1: warm-up
        for (int32_t& tok : tokens) tok = token(rng);
        start_at(t.n_depth);
        const auto t0 = Clock::now();
        Check(lutra_session_prefill(session, tokens.data(), tokens.size(), nullptr, nullptr));
        if (rep >= 0) samples[rep] = double(t.n_prompt) / Seconds(t0);
      }
    } else {
      // Weights once per token, and the KV cache up to the token's position (mean
      // depth + n/2).
      out.bytes_per_token(i) =
          double(info.decode_bytes) + kv_read_bytes(double(t.n_depth) + double(t.n_gen) / 2);
      for (int rep = -1; rep < o.repetitions; ++rep) {
        start_at(t.n_depth);
        const auto t0 = Clock::now();
        for (uint32_t k = 0; k < t.n_gen; ++k) {
          Check(lutra_session_decode(session, token(rng), nullptr, nullptr));
        }
        if (rep >= 0) samples[rep] = double(t.n_gen) / Seconds(t0);
      }
    }
  }
  lutra_session_free(session);
  lutra_model_free(l.model);
}

}  // namespace lutra::tools
