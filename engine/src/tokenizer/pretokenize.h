// Pre-tokenizers of the byte-level BPE vocabularies, chosen by tokenizer.ggml.pre: the text
// is cut into pieces (words, numbers, punctuation runs, whitespace) that BPE then encodes
// independently. Each is a sequence of regular-expression splits as the models' tokenizer
// configurations define them; every split keeps both the matches and the text between them.
// The expressions need Unicode categories (\p{L}, \p{N}, \p{P}): PCRE2 in UTF + UCP mode.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/common/status.h"

namespace lutra {

class Regex;

class PreTokenizer {
 public:
  // Names: "default" and "gpt-2", "llama-bpe" (Llama 3), "qwen2", "falcon", "deepseek-coder",
  // "starcoder". An unknown name is an error naming it and the known ones.
  static Expected<std::unique_ptr<PreTokenizer>> Create(const std::string& name);
  ~PreTokenizer();

  // Appends the pieces of `text` (valid UTF-8) to `out`, in order, covering it exactly.
  // Thread-safe.
  void Split(std::string_view text, std::vector<std::string_view>* out) const;

 private:
  PreTokenizer() = default;
  std::vector<std::unique_ptr<Regex>> splits_;
};

// Known pre-tokenizer names, comma separated.
const char* PreTokenizerNames();

}  // namespace lutra
