#include "engine/src/tokenizer/vocabulary.h"

#include <algorithm>
#include <cstdint>

namespace lutra {

Status ReadVocabulary(const gguf::File& f, Vocabulary* v) {
  auto tokens = f.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return Error{tokens.error()};
  const size_t n = tokens->size();
  if (n == 0 || n > INT32_MAX) {
    return Error{f.path() + ": tokenizer.ggml.tokens is empty or too large"};
  }
  v->kinds.assign(n, TokenKind::Normal);
  if (f.has("tokenizer.ggml.token_type")) {
    auto k = f.get_int_array("tokenizer.ggml.token_type");
    if (!k) return Error{k.error()};
    if (k->size() != n) {
      return Error{f.path() + ": tokenizer.ggml.token_type has " + std::to_string(k->size()) +
                   " entries, tokens has " + std::to_string(n)};
    }
    for (size_t i = 0; i < n; ++i) {
      if ((*k)[i] < 1 || (*k)[i] > 6) {
        return Error{f.path() + ": tokenizer.ggml.token_type[" + std::to_string(i) +
                     "] = " + std::to_string((*k)[i]) + " is not a known token type"};
      }
      v->kinds[i] = static_cast<TokenKind>((*k)[i]);
    }
  }
  v->pieces.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    v->pieces.emplace_back((*tokens)[i]);
    const TokenKind k = v->kinds[i];
    if ((k == TokenKind::Control || k == TokenKind::UserDefined) && !v->pieces.back().empty()) {
      v->specials.push_back(int32_t(i));
    }
  }
  // Longest first, ties by id: a total order, so std::sort gives what a stable sort would
  // (std::stable_sort's buffer uses an API libstdc++ 12 deprecates, an error under clang).
  std::sort(v->specials.begin(), v->specials.end(), [&](int32_t a, int32_t b) {
    const size_t la = v->pieces[size_t(a)].size(), lb = v->pieces[size_t(b)].size();
    return la != lb ? la > lb : a < b;
  });
  auto id_key = [&](const char* key, int32_t* dst) -> Status {
    if (!f.has(key)) return {};
    auto id = f.get_count(key);
    if (!id) return Error{id.error()};
    if (*id == UINT32_MAX) return {};  // converters write -1 as u32 for "no such token"
    if (*id >= n) {
      return Error{f.path() + ": " + key + " = " + std::to_string(*id) +
                   " is outside the vocabulary of " + std::to_string(n)};
    }
    *dst = static_cast<int32_t>(*id);
    return {};
  };
  for (auto [key, dst] : {std::pair{"tokenizer.ggml.bos_token_id", &v->bos},
                          std::pair{"tokenizer.ggml.eos_token_id", &v->eos},
                          std::pair{"tokenizer.ggml.unknown_token_id", &v->unk},
                          std::pair{"tokenizer.ggml.padding_token_id", &v->pad}}) {
    if (Status s = id_key(key, dst); !s) return s;
  }
  return {};
}

void SplitAtSpecials(std::string_view text, bool parse_special,
                     const std::vector<std::string>& pieces, const std::vector<int32_t>& specials,
                     const std::function<void(std::string_view)>& fragment,
                     const std::function<void(int32_t)>& special) {
  size_t start = 0;
  if (parse_special && !specials.empty()) {
    for (size_t i = 0; i < text.size();) {
      int32_t hit = -1;
      for (int32_t id : specials) {
        const std::string& p = pieces[size_t(id)];
        if (text.compare(i, p.size(), p) == 0) {
          hit = id;
          break;
        }
      }
      if (hit < 0) {
        ++i;
        continue;
      }
      if (i > start) fragment(text.substr(start, i - start));
      special(hit);
      i += pieces[size_t(hit)].size();
      start = i;
    }
  }
  if (text.size() > start) fragment(text.substr(start));
}

}  // namespace lutra
