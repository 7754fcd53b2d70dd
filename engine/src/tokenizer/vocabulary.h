// What every GGUF vocabulary has, whatever the tokenizer model: the token strings, their
// types, the special token ids, and the tokens found in text before the tokenizer runs:
// user-defined (added) tokens always, control and unknown tokens with parse_special, as
// llama.cpp and Hugging Face tokenizers do. Shared by the SentencePiece and byte-level BPE
// tokenizers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace lutra {

// A token matched in the text as a whole before tokenization.
struct SpecialToken {
  int32_t id = -1;
  bool in_plain_text = false;  // user-defined: matched without parse_special too
  bool rstrip = false;         // whitespace after it is dropped from the text
};

struct Vocabulary {
  std::vector<std::string> pieces;
  std::vector<TokenKind> kinds;
  int32_t bos = -1, eos = -1, unk = -1, pad = -1;
  // Tokens that end a generation: EOS, tokenizer.ggml.eot_token_id, and the control or
  // user-defined end-of-turn markers of the common chat formats ("<|eot_id|>", "<|im_end|>",
  // ...), each once, in that order.
  std::vector<int32_t> end_of_generation;
  // Control, unknown and user-defined tokens with non-empty text, longest text first (ties by
  // id).
  std::vector<SpecialToken> specials;
};

// Reads tokenizer.ggml.tokens / token_type and the *_token_id keys, checking every count,
// type and id against the vocabulary. Adopts llama.cpp's corrections of converted files, so
// the same file gives the same ids: user-defined tokens whose text is a known end-of-turn or
// fill-in-the-middle marker ("<|end|>", "<｜fim▁begin｜>", ..., listed in vocabulary.cc) are
// control tokens, and in Phi-3 vocabularies (general.name) the special tokens but <unk>, <s> and
// <|endoftext|> swallow the whitespace after them (Phi-3's tokenizer.json says rstrip; GGUF
// has no field for it). Finds the end-of-generation tokens.
Status ReadVocabulary(const gguf::File& f, Vocabulary* v);

// Cuts `text` at the special tokens (those `in_plain_text`, all of them with parse_special)
// and reports the text fragments and token ids in order. As llama.cpp: each token in turn,
// longest first, is found at every place in the text not yet claimed (leftmost first, not
// overlapping), so a longer token wins over a shorter one wherever they overlap; whitespace
// after an `rstrip` token is dropped. Empty fragments are not reported.
void SplitAtSpecials(std::string_view text, bool parse_special,
                     const std::vector<std::string>& pieces,
                     const std::vector<SpecialToken>& specials,
                     const std::function<void(std::string_view)>& fragment,
                     const std::function<void(int32_t)>& special);

}  // namespace lutra
