// Byte-level BPE tokenizer (tokenizer.ggml.model = "gpt2": GPT-2, Llama 3, Qwen, Falcon,
// DeepSeek, StarCoder vocabularies). Text → added tokens split out (and control tokens, when
// asked; vocabulary.h) → the pre-tokenizer's pieces → each piece's bytes as byte-level
// characters → merges applied by rank (lowest first, leftmost on ties) → token ids. Any byte
// sequence round-trips whose bytes all have a token (invalid UTF-8 bytes become pieces of their
// own, encoded through their byte characters). Some vocabularies lack a few bytes (Falcon: some
// control bytes and bytes that never occur in UTF-8; StarCoder: the latter): such a byte becomes
// the <unk> token when the vocabulary has a proper one, and is otherwise left out; never a control
// token such as end-of-text.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/src/tokenizer/pretokenize.h"
#include "engine/src/tokenizer/tokenizer.h"
#include "engine/src/tokenizer/vocabulary.h"

namespace lutra {

class BpeTokenizer final : public Tokenizer {
 public:
  static Expected<std::unique_ptr<Tokenizer>> create(const gguf::File& file);

  std::vector<int32_t> encode(std::string_view text, EncodeOptions opts) const override;
  std::string token_bytes(int32_t id) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  size_t unrepresentable_bytes(std::string_view text) const override;

 private:
  struct Merge {
    int32_t rank, result;
  };
  void EncodePiece(std::string_view piece, std::vector<int32_t>* out) const;
  void EncodeFragment(std::string_view text, std::vector<int32_t>* out) const;

  std::unique_ptr<PreTokenizer> pre_;
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) → rank, result
  std::array<int32_t, 256> byte_token_{};       // token of each byte's character, or -1
  std::vector<SpecialToken> specials_;
  bool add_bos_ = false;  // tokenizer.ggml.add_bos_token
};

}  // namespace lutra
