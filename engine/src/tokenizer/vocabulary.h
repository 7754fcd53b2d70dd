// What every GGUF vocabulary has, whatever the tokenizer model: the token strings, their
// types, the special token ids, and the control/user-defined tokens that parse_special finds
// in text. Shared by the SentencePiece and byte-level BPE tokenizers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/status.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace lutra {

struct Vocabulary {
  std::vector<std::string> pieces;
  std::vector<TokenKind> kinds;
  int32_t bos = -1, eos = -1, unk = -1, pad = -1;
  std::vector<int32_t> specials;  // control and user-defined ids, longest text first
};

// Reads tokenizer.ggml.tokens / token_type and the *_token_id keys, checking every count,
// type and id against the vocabulary.
Status ReadVocabulary(const gguf::File& f, Vocabulary* v);

// With parse_special, splits `text` at the special tokens (longest match first, scanning
// left to right) and reports the pieces in order; otherwise `text` is one fragment.
void SplitAtSpecials(std::string_view text, bool parse_special,
                     const std::vector<std::string>& pieces, const std::vector<int32_t>& specials,
                     const std::function<void(std::string_view)>& fragment,
                     const std::function<void(int32_t)>& special);

}  // namespace lutra
