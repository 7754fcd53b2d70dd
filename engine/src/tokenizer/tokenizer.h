// Tokenizer interface; implementations are built from GGUF tokenizer.* metadata.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/gguf/reader.h"

namespace lutra {

struct EncodeOptions {
  bool add_bos = false;
  bool parse_special = false;  // recognise control/user-defined token text in the input
};

enum class TokenKind : int32_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<int32_t> encode(std::string_view text, EncodeOptions opts) const = 0;
  // Bytes one token contributes to the output (control tokens contribute none).
  virtual std::string token_bytes(int32_t id) const = 0;
  // Whole-sequence decode; applies the leading-space rule of the implementation.
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
  // How many bytes of `text` the vocabulary has no token for, which encode() replaces by
  // <unk> or leaves out (byte-level BPE vocabularies lacking a few byte values: Falcon,
  // StarCoder). 0 for vocabularies that represent every byte.
  virtual size_t unrepresentable_bytes(std::string_view text) const {
    (void)text;
    return 0;
  }

  size_t vocab_size() const { return pieces_.size(); }
  const std::string& piece(int32_t id) const { return pieces_.at(static_cast<size_t>(id)); }
  TokenKind kind(int32_t id) const { return kinds_.at(static_cast<size_t>(id)); }
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  int32_t unk() const { return unk_; }
  int32_t pad() const { return pad_; }  // -1 when absent
  // Tokens that end a generation: EOS, tokenizer.ggml.eot_token_id and the end-of-turn
  // control tokens of the common chat formats ("<|eot_id|>", "<|im_end|>", "<|end|>", ...).
  const std::vector<int32_t>& end_of_generation() const { return end_of_generation_; }
  bool is_end_of_generation(int32_t id) const {
    for (int32_t e : end_of_generation_) {
      if (e == id) return true;
    }
    return false;
  }

 protected:
  std::vector<std::string> pieces_;
  std::vector<TokenKind> kinds_;
  int32_t bos_ = -1, eos_ = -1, unk_ = -1, pad_ = -1;
  std::vector<int32_t> end_of_generation_;
};

// Chooses the implementation from tokenizer.ggml.model.
Expected<std::unique_ptr<Tokenizer>> load_tokenizer(const gguf::File& file);

}  // namespace lutra
