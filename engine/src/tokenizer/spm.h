// SentencePiece-style tokenizer (tokenizer.ggml.model = "llama"): greedy merging of adjacent
// symbols by the highest vocabulary score, byte-fallback tokens <0xXX>, "▁" for spaces.
#pragma once

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/src/tokenizer/tokenizer.h"
#include "engine/src/tokenizer/vocabulary.h"

namespace lutra {

class SpmTokenizer final : public Tokenizer {
 public:
  static Expected<std::unique_ptr<Tokenizer>> create(const gguf::File& file);

  std::vector<int32_t> encode(std::string_view text, EncodeOptions opts) const override;
  std::string token_bytes(int32_t id) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;

 private:
  void encode_fragment(std::string_view text, bool prefix_space, std::vector<int32_t>* out) const;

  std::vector<float> scores_;
  std::unordered_map<std::string, int32_t> lookup_;
  std::array<int32_t, 256> byte_token_{};
  std::vector<SpecialToken> specials_;  // longest text first (vocabulary.h)
  bool add_space_prefix_ = true;
};

}  // namespace lutra
