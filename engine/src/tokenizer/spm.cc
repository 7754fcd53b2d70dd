#include "engine/src/tokenizer/spm.h"

#include "engine/src/tokenizer/vocabulary.h"

#include <algorithm>
#include <cstdio>
#include <queue>

namespace lutra {

namespace {

constexpr std::string_view kSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's space marker

size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) return 2;
  if ((c & 0xf0) == 0xe0) return 3;
  if ((c & 0xf8) == 0xf0) return 4;
  return 1;  // stray byte: its own symbol, resolved by byte fallback
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte a fallback token "<0xHH>" stands for, or -1. Parsed by hand: sscanf's %X also
// accepts a sign, so "<0x-1>" read as 4294967295 and indexed past the 256-entry table.
int byte_token_value(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  const int hi = hex_digit(piece[3]), lo = hex_digit(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// A vocabulary entry as an error message can show it: bytes outside printable ASCII escaped.
std::string printable(std::string_view piece) {
  std::string out;
  for (char c : piece.substr(0, 32)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    }
  }
  if (piece.size() > 32) out += "...";
  return out;
}

struct Symbol {
  size_t start, len;
  int prev, next;
};

struct Bigram {
  int left, right;
  float score;
  size_t len;  // combined length, to detect stale entries after earlier merges
  bool operator<(const Bigram& o) const {
    // Highest score first; on ties the leftmost pair, as SentencePiece does.
    return score < o.score || (score == o.score && left > o.left);
  }
};

}  // namespace

Expected<std::unique_ptr<Tokenizer>> SpmTokenizer::create(const gguf::File& f) {
  auto t = std::unique_ptr<SpmTokenizer>(new SpmTokenizer());
  Vocabulary v;
  if (Status st = ReadVocabulary(f, &v); !st) return st.failure();
  const size_t n = v.pieces.size();
  if (f.has("tokenizer.ggml.scores")) {
    auto s = f.get_f32_array("tokenizer.ggml.scores");
    if (!s) return s.failure();
    if (s->size() != n)
      return InvalidModel(f.path() + ": tokenizer.ggml.scores has " + std::to_string(s->size()) +
                          " entries, tokens has " + std::to_string(n));
    t->scores_ = std::move(*s);
  } else {
    t->scores_.assign(n, 0.f);
  }
  t->pieces_ = std::move(v.pieces);
  t->kinds_ = std::move(v.kinds);
  t->specials_ = std::move(v.specials);
  t->bos_ = v.bos, t->eos_ = v.eos, t->unk_ = v.unk, t->pad_ = v.pad;
  t->end_of_generation_ = std::move(v.end_of_generation);
  t->byte_token_.fill(-1);
  for (size_t i = 0; i < n; ++i) {
    const auto id = static_cast<int32_t>(i);
    const std::string& p = t->pieces_[i];
    t->lookup_.emplace(p, id);  // first occurrence wins on duplicates
    if (t->kinds_[i] != TokenKind::Byte) continue;
    const int b = byte_token_value(p);
    if (b < 0)
      return InvalidModel(f.path() + ": tokenizer.ggml.tokens[" + std::to_string(i) + "] = '" +
                          printable(p) + "' has token_type byte (6) but is not of the form <0xHH>");
    t->byte_token_[b] = id;
  }
  if (f.has("tokenizer.ggml.add_space_prefix")) {
    auto b = f.get_bool("tokenizer.ggml.add_space_prefix");
    if (!b) return b.failure();
    t->add_space_prefix_ = *b;
  }
  return std::unique_ptr<Tokenizer>(std::move(t));
}

void SpmTokenizer::encode_fragment(std::string_view text, bool prefix_space,
                                   std::vector<int32_t>* out) const {
  std::string s;
  s.reserve(text.size() + 8);
  if (prefix_space) s.append(kSpace);
  for (char c : text) {
    if (c == ' ')
      s.append(kSpace);
    else
      s.push_back(c);
  }
  if (s.empty()) return;
  std::vector<Symbol> sym;
  for (size_t i = 0; i < s.size();) {
    size_t len = std::min(utf8_len(static_cast<unsigned char>(s[i])), s.size() - i);
    // A malformed sequence must not swallow the start of the next character (e.g. a "▁").
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) {
        len = 1;
        break;
      }
    }
    sym.push_back({i, len, static_cast<int>(sym.size()) - 1, static_cast<int>(sym.size()) + 1});
    i += len;
  }
  sym.back().next = -1;
  std::priority_queue<Bigram> q;
  auto try_pair = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    auto it = lookup_.find(s.substr(sym[l].start, sym[l].len + sym[r].len));
    if (it == lookup_.end()) return;
    q.push({l, r, scores_[it->second], sym[l].len + sym[r].len});
  };
  for (size_t i = 1; i < sym.size(); ++i) try_pair(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!q.empty()) {
    const Bigram b = q.top();
    q.pop();
    Symbol& l = sym[b.left];
    Symbol& r = sym[b.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.len || l.next != b.right) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = b.left;
    try_pair(l.prev, b.left);
    try_pair(b.left, l.next);
  }
  for (int i = 0; i >= 0; i = sym[i].next) {
    const std::string piece = s.substr(sym[i].start, sym[i].len);
    auto it = lookup_.find(piece);
    if (it != lookup_.end()) {
      out->push_back(it->second);
      continue;
    }
    for (unsigned char c : piece) {
      const int32_t bt = byte_token_[c];
      if (bt >= 0)
        out->push_back(bt);
      else if (unk_ >= 0)
        out->push_back(unk_);
    }
  }
}

std::vector<int32_t> SpmTokenizer::encode(std::string_view text, EncodeOptions opts) const {
  std::vector<int32_t> out;
  if (opts.add_bos && bos_ >= 0) out.push_back(bos_);
  // The space prefix goes before the text and before the text after each special token, as
  // SentencePiece (legacy mode) and llama.cpp do: "a</s>b" is "▁a", "</s>", "▁b".
  bool after_special = true;
  SplitAtSpecials(
      text, opts.parse_special, pieces_, specials_,
      [&](std::string_view fragment) {
        encode_fragment(fragment, after_special && add_space_prefix_, &out);
        after_special = false;
      },
      [&](int32_t id) {
        out.push_back(id);
        after_special = true;
      });
  return out;
}

std::string SpmTokenizer::token_bytes(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= pieces_.size()) return {};
  const std::string& p = pieces_[id];
  switch (kinds_[id]) {
    case TokenKind::Control:
      return {};
    case TokenKind::Byte: {
      // create() admitted only well-formed byte tokens.
      return std::string(1, static_cast<char>(byte_token_value(p)));
    }
    case TokenKind::UserDefined:
      return p;  // matched as written, printed as written (as llama.cpp)
    default:
      break;
  }
  std::string out;
  for (size_t i = 0; i < p.size();) {
    if (p.compare(i, kSpace.size(), kSpace) == 0) {
      out.push_back(' ');
      i += kSpace.size();
    } else
      out.push_back(p[i++]);
  }
  return out;
}

std::string SpmTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  bool first_text = true;
  for (int32_t id : ids) {
    std::string b = token_bytes(id);
    if (b.empty()) continue;
    // The space the encoder prepended to the text is removed again at the start.
    if (first_text && add_space_prefix_ && kinds_[id] != TokenKind::Byte && b[0] == ' ')
      b.erase(0, 1);
    first_text = false;
    out += b;
  }
  return out;
}

}  // namespace lutra
