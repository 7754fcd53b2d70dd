// SentencePiece-style encode throughput on ~1 MB of mixed text (bytes/s reported).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/src/gguf/reader.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace {

void run(benchmark::State& state, const char* file) {
  const char* env = std::getenv("LUTRA_MODELS_DIR");
  const std::string dir = env != nullptr ? env : "../shared/models";
  auto f = lutra::gguf::File::open(dir + "/" + file);
  if (!f.ok()) {
    state.SkipWithError(f.error().c_str());
    return;
  }
  auto tk = lutra::load_tokenizer(*f);
  if (!tk.ok()) {
    state.SkipWithError(tk.error().c_str());
    return;
  }
  const std::string para =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
      "sunshine with her dog, 42 days a year.\n  Caf\xc3\xa9 \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2"
      "\xd0\xb5\xd1\x82 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80!\n";
  std::string text;
  while (text.size() < (1u << 20)) text += para;
  // Encode line by line, as a prompt stream would be, so the merge queue stays short.
  for (auto _ : state) {
    size_t n = 0;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      end = end == std::string::npos ? text.size() : end + 1;
      n += (*tk)->encode(std::string_view(text).substr(start, end - start), {}).size();
      start = end;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_TokenizerSpm_Stories260K(benchmark::State& s) {
  run(s, "stories260K.gguf");
}
void BM_TokenizerSpm_Llama32000(benchmark::State& s) {
  run(s, "vocab-llama-spm.gguf");
}
BENCHMARK(BM_TokenizerSpm_Stories260K)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TokenizerSpm_Llama32000)->Unit(benchmark::kMillisecond);

}  // namespace
