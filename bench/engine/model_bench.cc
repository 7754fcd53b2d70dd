// Model runtime throughput on a synthetic llama model generated into the temp directory at the
// first run: decode (one token per iteration) and prefill of 64 tokens, at 1 and 2 threads.
// Counters: tok/s, peak RSS, weight/KV/arena bytes. The default shape is tiny (quick);
// LUTRA_MODEL_BENCH_SHAPE=tinyllama-1.1b selects dim 2048 / 22 layers / 32 heads / 4 KV heads
// / ffn 5632 / vocab 32000 (several GB of F16 weights and the time to write them).
// LUTRA_MODEL_BENCH_WTYPE=f32|f16|q4_0|tq2_0 picks the matrices' type (default tq2_0; see
// SynthLlama for the embedding/output types). The file is written by a child process so the
// generator's buffers do not count in the peak RSS reported here.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/src/models/model.h"
#include "tests/model/synthetic_llama.h"

namespace {

using lutra::engine::models::Model;
using lutra::engine::models::ModelOptions;
using lutra::engine::models::Session;

std::string Env(const char* name, const char* def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : def;
}

// Generated once per process; removed at exit.
struct BenchModel {
  std::string path, error;
  ~BenchModel() {
    if (!path.empty()) std::filesystem::remove(path);
  }
};

const BenchModel& Generated() {
  static BenchModel m = [] {
    BenchModel b;
    lutra::testing::SynthLlama c;
    const std::string shape = Env("LUTRA_MODEL_BENCH_SHAPE", "tiny");
    if (shape == "tinyllama-1.1b") {
      c.dim = 2048, c.layers = 22, c.heads = 32, c.kv_heads = 4, c.ff = 5632, c.vocab = 32000;
      c.ctx = 2048;
    } else {
      c.dim = 512, c.layers = 4, c.heads = 8, c.kv_heads = 4, c.ff = 1536, c.vocab = 4000;
      c.ctx = 512;
    }
    const std::string wtype = Env("LUTRA_MODEL_BENCH_WTYPE", "tq2_0");
    using T = lutra::gguf::TensorType;
    if (wtype == "f32") {
      c.wtype = T::F32;
    } else if (wtype == "f16") {
      c.wtype = T::F16;
    } else if (wtype == "q4_0") {
      c.wtype = T::Q4_0;
    } else if (wtype == "tq2_0") {
      c.wtype = T::TQ2_0;
    } else {
      b.error = "LUTRA_MODEL_BENCH_WTYPE=" + wtype + " (expected f32, f16, q4_0 or tq2_0)";
      return b;
    }
    b.path = (std::filesystem::temp_directory_path() /
              ("lutra-model-bench-" + shape + "-" + wtype + ".gguf"))
                 .string();
    const pid_t child = fork();
    if (child == 0) _exit(lutra::testing::WriteSynthLlama(c, b.path).ok() ? 0 : 1);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      b.error = "could not generate " + b.path;
    }
    return b;
  }();
  return m;
}

struct Loaded {
  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
};

bool Load(benchmark::State& state, size_t threads, Loaded* out) {
  const BenchModel& bm = Generated();
  if (!bm.error.empty()) {
    state.SkipWithError(bm.error.c_str());
    return false;
  }
  ModelOptions o;
  o.threads = threads;
  o.context_length = 512;
  o.batch = 64;
  auto m = Model::Load(bm.path, o);
  if (!m.ok()) {
    state.SkipWithError(m.error().c_str());
    return false;
  }
  out->model = std::move(*m);
  auto s = Session::Create(*out->model);
  if (!s.ok()) {
    state.SkipWithError(s.error().c_str());
    return false;
  }
  out->session = std::move(*s);
  return true;
}

void Report(benchmark::State& state, const Loaded& l, double tokens) {
  state.counters["tok/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MiB"] = double(ru.ru_maxrss) / 1024.0;
  state.counters["weights_MiB"] = double(l.model->weight_bytes()) / (1 << 20);
  state.counters["kv_MiB"] = double(l.session->executor().kv_bytes()) / (1 << 20);
  state.counters["arena_KiB"] = double(l.session->executor().plan().arena_bytes) / 1024.0;
}

void BM_Decode(benchmark::State& state) {
  Loaded l;
  if (!Load(state, size_t(state.range(0)), &l)) return;
  const size_t vocab = l.model->hparams().n_vocab;
  std::vector<int32_t> prompt(16);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = int32_t((i * 37 + 1) % vocab);
  if (!l.session->Prefill(prompt).ok()) return state.SkipWithError("prefill failed");
  int32_t tok = 1;
  double n = 0;
  for (auto _ : state) {
    if (l.session->position() + 1 >= l.model->context_length()) {
      state.PauseTiming();
      l.session->Reset();
      (void)l.session->Prefill(prompt);
      state.ResumeTiming();
    }
    auto out = l.session->Decode(tok);
    if (!out.ok()) return state.SkipWithError(out.error().c_str());
    tok = int32_t((tok * 31 + 7) % vocab);
    n += 1;
  }
  Report(state, l, n);
}

void BM_Prefill64(benchmark::State& state) {
  Loaded l;
  if (!Load(state, size_t(state.range(0)), &l)) return;
  const size_t vocab = l.model->hparams().n_vocab;
  std::vector<int32_t> prompt(64);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = int32_t((i * 37 + 1) % vocab);
  double n = 0;
  for (auto _ : state) {
    l.session->Reset();
    auto out = l.session->Prefill(prompt);
    if (!out.ok()) return state.SkipWithError(out.error().c_str());
    n += double(prompt.size());
  }
  Report(state, l, n);
}

BENCHMARK(BM_Decode)
    ->Name("model/decode/threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Prefill64)
    ->Name("model/prefill64/threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
