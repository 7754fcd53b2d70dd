#include "engine/src/tokenizer/vocabulary.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <unordered_set>

namespace lutra {

namespace {

// EOS, the end-of-turn id of the file (ignored when unreadable or outside the vocabulary, as
// converters write -1 for none), and the end-of-turn markers among the control and
// user-defined tokens.
void FindEndOfGeneration(const gguf::File& f, Vocabulary* v) {
  auto add = [&](int32_t id) {
    if (id < 0 || size_t(id) >= v->pieces.size()) return;
    if (std::find(v->end_of_generation.begin(), v->end_of_generation.end(), id) !=
        v->end_of_generation.end()) {
      return;
    }
    v->end_of_generation.push_back(id);
  };
  add(v->eos);
  if (auto eot = f.get_count("tokenizer.ggml.eot_token_id"); eot.ok() && *eot < v->pieces.size()) {
    add(int32_t(*eot));
  }
  static const char* const kEndOfTurn[] = {"<|eot_id|>",    "<|im_end|>",    "<|end|>",
                                           "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>"};
  for (size_t id = 0; id < v->pieces.size(); ++id) {
    const TokenKind kind = v->kinds[id];
    if (kind != TokenKind::Control && kind != TokenKind::UserDefined) continue;
    for (const char* marker : kEndOfTurn) {
      if (v->pieces[id] == marker) add(int32_t(id));
    }
  }
}

}  // namespace

Status ReadVocabulary(const gguf::File& f, Vocabulary* v) {
  auto tokens = f.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return tokens.failure();
  const size_t n = tokens->size();
  if (n == 0 || n > INT32_MAX) {
    return InvalidModel(f.path() + ": tokenizer.ggml.tokens is empty or too large");
  }
  v->kinds.assign(n, TokenKind::Normal);
  if (f.has("tokenizer.ggml.token_type")) {
    auto k = f.get_int_array("tokenizer.ggml.token_type");
    if (!k) return k.failure();
    if (k->size() != n) {
      return InvalidModel(f.path() + ": tokenizer.ggml.token_type has " +
                          std::to_string(k->size()) + " entries, tokens has " + std::to_string(n));
    }
    for (size_t i = 0; i < n; ++i) {
      if ((*k)[i] < 1 || (*k)[i] > 6) {
        return InvalidModel(f.path() + ": tokenizer.ggml.token_type[" + std::to_string(i) +
                            "] = " + std::to_string((*k)[i]) + " is not a known token type");
      }
      v->kinds[i] = static_cast<TokenKind>((*k)[i]);
    }
  }
  v->pieces.reserve(n);
  for (size_t i = 0; i < n; ++i) v->pieces.emplace_back((*tokens)[i]);
  // Converters mark these markers user-defined in some models (DeepSeek's FIM tokens); llama.cpp
  // makes them control tokens by their text, so they are neither matched in plain text nor
  // printed.
  static const std::unordered_set<std::string_view> kControlLooking = {
      "<|eot_id|>",     "<|im_end|>",   "<|end|>",         "<end_of_turn>",
      "<|endoftext|>",  "<EOT>",        "<|eom_id|>",      "<｜end▁of▁sentence｜>",
      "<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>", "<PRE>",
      "<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>",  "<SUF>",
      "<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>",   "<MID>",
      "<|fim_pad|>",    "<fim-pad>",    "<PAD>",           "<|fim_repo|>",
      "<|repo_name|>",  "<fim-repo>",   "<REPO>",          "<|file_sep|>"};
  bool phi3 = false;
  if (auto name = f.get_string("general.name"); name.ok()) {
    std::string lower(*name);
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    phi3 = lower.find("phi-3") != std::string::npos || lower.find("phi3") != std::string::npos;
  }
  for (size_t i = 0; i < n; ++i) {
    TokenKind& k = v->kinds[i];
    const std::string& p = v->pieces[i];
    if (k == TokenKind::UserDefined && kControlLooking.count(p) != 0) k = TokenKind::Control;
    if (p.empty() ||
        (k != TokenKind::Control && k != TokenKind::UserDefined && k != TokenKind::Unknown)) {
      continue;
    }
    const bool keeps_space = p == "<unk>" || p == "<s>" || p == "<|endoftext|>";
    v->specials.push_back({int32_t(i), k == TokenKind::UserDefined, phi3 && !keeps_space});
  }
  // Longest first, ties by id: a total order, so std::sort gives what a stable sort would
  // (std::stable_sort's buffer uses an API libstdc++ 12 deprecates, an error under clang).
  std::sort(v->specials.begin(), v->specials.end(),
            [&](const SpecialToken& a, const SpecialToken& b) {
              const size_t la = v->pieces[size_t(a.id)].size(), lb = v->pieces[size_t(b.id)].size();
              return la != lb ? la > lb : a.id < b.id;
            });
  auto id_key = [&](const char* key, int32_t* dst) -> Status {
    if (!f.has(key)) return {};
    auto id = f.get_count(key);
    if (!id) return id.failure();
    if (*id == UINT32_MAX) return {};  // converters write -1 as u32 for "no such token"
    if (*id >= n) {
      return InvalidModel(f.path() + ": " + key + " = " + std::to_string(*id) +
                          " is outside the vocabulary of " + std::to_string(n));
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
  FindEndOfGeneration(f, v);
  return {};
}

void SplitAtSpecials(std::string_view text, bool parse_special,
                     const std::vector<std::string>& pieces,
                     const std::vector<SpecialToken>& specials,
                     const std::function<void(std::string_view)>& fragment,
                     const std::function<void(int32_t)>& special) {
  struct Part {
    std::string_view text;  // unclaimed text when id < 0
    int32_t id = -1;
  };
  std::vector<Part> parts = {{text}}, next;
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  for (const SpecialToken& s : specials) {
    if (!parse_special && !s.in_plain_text) continue;
    const std::string& p = pieces[size_t(s.id)];
    next.clear();
    for (const Part& part : parts) {
      if (part.id >= 0 || part.text.find(p) == std::string_view::npos) {
        next.push_back(part);
        continue;
      }
      std::string_view rest = part.text;
      for (size_t at; (at = rest.find(p)) != std::string_view::npos;) {
        if (at > 0) next.push_back({rest.substr(0, at)});
        next.push_back({{}, s.id});
        rest.remove_prefix(at + p.size());
        while (s.rstrip && !rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
      }
      if (!rest.empty()) next.push_back({rest});
    }
    parts.swap(next);
  }
  for (const Part& part : parts) {
    if (part.id >= 0) {
      special(part.id);
    } else if (!part.text.empty()) {
      fragment(part.text);
    }
  }
}

}  // namespace lutra
