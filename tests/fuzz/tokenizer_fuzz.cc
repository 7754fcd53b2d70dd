// Tokenizers of every vocabulary in LUTRA_MODELS_DIR on arbitrary bytes: encode (with and
// without special-token parsing) and decode must not crash, ids must be in the vocabulary,
// and text whose bytes the vocabulary can all represent must round-trip exactly.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/tokenizer/tokenizer.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

struct Vocab {
  std::unique_ptr<lutra::gguf::File> file;
  std::unique_ptr<lutra::Tokenizer> tok;
  bool all_bytes = true;  // every single byte round-trips
};

std::vector<Vocab>& Vocabs() {
  static std::vector<Vocab> v = [] {
    std::vector<Vocab> out;
    for (const char* name : {"stories260K", "vocab-llama-spm", "vocab-phi-3", "vocab-gpt-2",
                             "vocab-falcon", "vocab-deepseek-coder", "vocab-starcoder"}) {
      auto f = lutra::gguf::File::open(lutra::fuzz::ModelsDir() + "/" + name + ".gguf");
      if (!f.ok()) continue;
      Vocab v;
      v.file = std::make_unique<lutra::gguf::File>(std::move(*f));
      auto t = lutra::load_tokenizer(*v.file);
      if (!t.ok()) continue;
      v.tok = std::move(*t);
      for (int b = 0; b < 256; ++b) {
        const std::string one(1, char(b));
        if (v.tok->decode(v.tok->encode(one, {})) != one) v.all_bytes = false;
      }
      out.push_back(std::move(v));
    }
    if (out.empty()) {
      std::fprintf(stderr, "tokenizer fuzz: no vocabularies in %s\n",
                   lutra::fuzz::ModelsDir().c_str());
      std::abort();
    }
    return out;
  }();
  return v;
}

}  // namespace

// Loading the vocabularies takes seconds under ASan: done before the first input, so that it
// does not count against the per-input timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Vocabs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const Vocab& v : Vocabs()) {
    for (bool special : {false, true}) {
      const std::vector<int32_t> ids =
          v.tok->encode(text, {.add_bos = true, .parse_special = special});
      for (int32_t id : ids) {
        if (id < 0 || size_t(id) >= v.tok->vocab_size()) std::abort();
      }
      const std::string back = v.tok->decode(ids);
      // SentencePiece drops one leading space of the decoded text; BPE is exact.
      if (!special && v.all_bytes && back != text && back != text.substr(text[0] == ' ')) {
        std::fprintf(stderr, "round trip failed for %s\n", v.file->path().c_str());
        std::abort();
      }
    }
  }
  return 0;
}
