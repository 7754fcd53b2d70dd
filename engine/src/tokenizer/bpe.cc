#include "engine/src/tokenizer/bpe.h"

#include <queue>

#include "engine/src/tokenizer/byte_unicode.h"
#include "engine/src/tokenizer/vocabulary.h"

namespace lutra {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one (overlong forms,
// surrogates and code points above U+10FFFF included).
size_t ValidUtf8(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const size_t left = s.size() - i;
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;
    if (c == 0xF4 && b(1) >= 0x90) return 0;
    return 4;
  }
  return 0;
}

uint32_t DecodeUtf8(std::string_view s, size_t i, size_t len) {
  const auto b = [&](size_t k) { return uint32_t(static_cast<unsigned char>(s[i + k])); };
  if (len == 1) return b(0);
  if (len == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (len == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

struct Symbol {
  int32_t id;
  int prev, next;
};

struct Candidate {
  int32_t rank;
  int left, right;
  int32_t left_id, right_id;  // to recognise entries made stale by earlier merges
  int32_t result;
  bool operator<(const Candidate& o) const {
    // priority_queue pops the largest: lowest rank first, then the leftmost pair.
    return rank > o.rank || (rank == o.rank && left > o.left);
  }
};

uint64_t PairKey(int32_t a, int32_t b) {
  return (uint64_t(uint32_t(a)) << 32) | uint32_t(b);
}

}  // namespace

Expected<std::unique_ptr<Tokenizer>> BpeTokenizer::create(const gguf::File& f) {
  auto t = std::unique_ptr<BpeTokenizer>(new BpeTokenizer());
  Vocabulary v;
  if (Status st = ReadVocabulary(f, &v); !st) return st.failure();
  std::string pre = "default";
  if (f.has("tokenizer.ggml.pre")) {
    auto p = f.get_string("tokenizer.ggml.pre");
    if (!p) return p.failure();
    pre = std::string(*p);
  }
  auto pt = PreTokenizer::Create(pre);
  if (!pt) return pt.failure(f.path() + ": ");
  t->pre_ = std::move(*pt);
  if (f.has("tokenizer.ggml.add_bos_token")) {
    auto b = f.get_bool("tokenizer.ggml.add_bos_token");
    if (!b) return b.failure();
    t->add_bos_ = *b;
  }

  std::unordered_map<std::string_view, int32_t> lookup;
  lookup.reserve(v.pieces.size());
  for (size_t i = 0; i < v.pieces.size(); ++i) lookup.emplace(v.pieces[i], int32_t(i));
  const auto& chars = ByteLevelChars();
  for (int b = 0; b < 256; ++b) {
    auto it = lookup.find(chars[size_t(b)]);
    t->byte_token_[size_t(b)] = it != lookup.end() ? it->second : -1;
  }

  auto merges = f.get_string_array("tokenizer.ggml.merges");
  if (!merges) return merges.failure(f.path() + ": byte-level BPE needs tokenizer.ggml.merges: ");
  t->merges_.reserve(merges->size());
  std::string joined;
  for (size_t r = 0; r < merges->size(); ++r) {
    const std::string_view m = (*merges)[r];
    const size_t sp = m.find(' ', 1);  // the left part is never empty
    if (sp == std::string_view::npos || sp + 1 >= m.size()) {
      return InvalidModel(f.path() + ": tokenizer.ggml.merges[" + std::to_string(r) + "] = '" +
                          std::string(m) + "' is not two pieces separated by a space");
    }
    const std::string_view left = m.substr(0, sp), right = m.substr(sp + 1);
    joined.assign(left);
    joined.append(right);
    const auto l = lookup.find(left), rt = lookup.find(right), res = lookup.find(joined);
    // A merge whose parts or result are not tokens can never apply; tolerated as converters
    // produce them for pruned vocabularies.
    if (l == lookup.end() || rt == lookup.end() || res == lookup.end()) continue;
    t->merges_.emplace(PairKey(l->second, rt->second), Merge{int32_t(r), res->second});
  }
  t->pieces_ = std::move(v.pieces);
  t->kinds_ = std::move(v.kinds);
  t->bos_ = v.bos, t->eos_ = v.eos, t->unk_ = v.unk, t->pad_ = v.pad;
  t->end_of_generation_ = std::move(v.end_of_generation);
  t->specials_ = std::move(v.specials);
  return std::unique_ptr<Tokenizer>(std::move(t));
}

size_t BpeTokenizer::unrepresentable_bytes(std::string_view text) const {
  size_t n = 0;
  for (unsigned char c : text) n += byte_token_[c] < 0 ? 1 : 0;
  return n;
}

void BpeTokenizer::EncodePiece(std::string_view piece, std::vector<int32_t>* out) const {
  std::vector<Symbol> sym;
  sym.reserve(piece.size());
  for (unsigned char c : piece) {
    const int32_t id = byte_token_[c];
    if (id < 0) {
      // The vocabulary lacks this byte's character: <unk> if it is a real unknown token.
      if (unk_ >= 0 && kinds_[size_t(unk_)] == TokenKind::Unknown) {
        sym.push_back({unk_, int(sym.size()) - 1, int(sym.size()) + 1});
      }
      continue;
    }
    sym.push_back({id, int(sym.size()) - 1, int(sym.size()) + 1});
  }
  if (sym.empty()) return;
  sym.back().next = -1;
  std::priority_queue<Candidate> q;
  auto consider = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    auto it = merges_.find(PairKey(sym[size_t(l)].id, sym[size_t(r)].id));
    if (it != merges_.end()) {
      q.push({it->second.rank, l, r, sym[size_t(l)].id, sym[size_t(r)].id, it->second.result});
    }
  };
  for (size_t i = 1; i < sym.size(); ++i) consider(int(i) - 1, int(i));
  while (!q.empty()) {
    const Candidate c = q.top();
    q.pop();
    Symbol& l = sym[size_t(c.left)];
    Symbol& r = sym[size_t(c.right)];
    if (l.id != c.left_id || r.id != c.right_id || l.next != c.right) continue;  // stale
    l.id = c.result;
    r.id = -1;
    l.next = r.next;
    if (r.next >= 0) sym[size_t(r.next)].prev = c.left;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }
  for (int i = 0; i >= 0; i = sym[size_t(i)].next) out->push_back(sym[size_t(i)].id);
}

void BpeTokenizer::EncodeFragment(std::string_view text, std::vector<int32_t>* out) const {
  // Valid UTF-8 runs go through the pre-tokenizer; each invalid byte is a piece of its own.
  std::vector<std::string_view> pieces;
  size_t run = 0, i = 0;
  while (i < text.size()) {
    const size_t len = ValidUtf8(text, i);
    if (len > 0) {
      i += len;
      continue;
    }
    if (i > run) pre_->Split(text.substr(run, i - run), &pieces);
    pieces.push_back(text.substr(i, 1));
    run = ++i;
  }
  if (run < text.size()) pre_->Split(text.substr(run), &pieces);
  for (std::string_view p : pieces) EncodePiece(p, out);
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, EncodeOptions opts) const {
  std::vector<int32_t> out;
  if (opts.add_bos && add_bos_ && bos_ >= 0) out.push_back(bos_);
  SplitAtSpecials(
      text, opts.parse_special, pieces_, specials_,
      [&](std::string_view fragment) { EncodeFragment(fragment, &out); },
      [&](int32_t id) { out.push_back(id); });
  return out;
}

std::string BpeTokenizer::token_bytes(int32_t id) const {
  if (id < 0 || size_t(id) >= pieces_.size()) return {};
  const std::string& p = pieces_[size_t(id)];
  switch (kinds_[size_t(id)]) {
    case TokenKind::Control:
      return {};
    case TokenKind::UserDefined:
      // Added tokens are matched in the text as written (SplitAtSpecials), so they print as
      // written, not through the byte alphabet (as llama.cpp): DeepSeek's added "À" is the
      // text "À", not the byte 0xC0.
      return p;
    default:
      break;
  }
  std::string out;
  for (size_t i = 0; i < p.size();) {
    const size_t len = ValidUtf8(p, i);
    if (len == 0) {  // not the byte alphabet: pass through
      out.push_back(p[i++]);
      continue;
    }
    const int b = ByteOfCodePoint(DecodeUtf8(p, i, len));
    if (b >= 0) {
      out.push_back(char(b));
    } else {
      out.append(p, i, len);
    }
    i += len;
  }
  return out;
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) out += token_bytes(id);
  return out;
}

}  // namespace lutra
