// Tokenizer throughput: 1 MiB of mixed text (prose, code, numbers, several scripts, emoji,
// whitespace runs) encoded by each vocabulary of ../shared/models (LUTRA_MODELS_DIR); bytes/s
// of input. Vocabularies that are absent are not registered.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/src/gguf/reader.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace {

std::string MixedText() {
  const std::string sample =
      "The quick brown fox jumps over the lazy dog. It's 2024: 12,345 apples cost $3.14!\n"
      "int main(void) {\n    for (int i = 0; i < 10; ++i) { total += values[i] * 2; }\n}\n"
      "caf\xc3\xa9 na\xc3\xafve \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
      "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80   \t  end of line\n";
  std::string text;
  while (text.size() < (1u << 20)) text += sample;
  text.resize(1u << 20);
  return text;
}

const bool registered = [] {
  const char* env = std::getenv("LUTRA_MODELS_DIR");
  const std::filesystem::path dir =
      env != nullptr && *env
          ? std::filesystem::path(env)
          : std::filesystem::path(__FILE__).parent_path() / "../../../shared/models";
  for (const char* name : {"vocab-gpt-2", "vocab-falcon", "vocab-deepseek-coder", "vocab-starcoder",
                           "vocab-llama-spm", "vocab-phi-3"}) {
    const std::string path = (dir / (std::string(name) + ".gguf")).string();
    if (!std::filesystem::exists(path)) continue;
    benchmark::RegisterBenchmark((std::string("tokenize/") + name).c_str(), [path](benchmark::State&
                                                                                       state) {
      auto f = lutra::gguf::File::open(path);
      auto tok = lutra::load_tokenizer(*f);
      if (!tok.ok()) {
        state.SkipWithError(tok.error().c_str());
        return;
      }
      const std::string text = MixedText();
      size_t tokens = 0;
      for (auto _ : state) {
        tokens = (*tok)->encode(text, {}).size();
        benchmark::DoNotOptimize(tokens);
      }
      state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
      state.counters["tokens"] = double(tokens);
    })->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
