// Byte-level BPE on the real vocabularies of ../shared/models (gpt-2, falcon, deepseek-coder,
// starcoder): exact round trips over varied text and random bytes, ids derived by hand from
// the vocabulary, merges checked against a naive string-based BPE written here from the
// merge list, the pre-tokenizers' documented splits, special tokens only when asked, and the
// errors of malformed vocabularies.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/writer.h"
#include "engine/src/tokenizer/pretokenize.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace lutra {
namespace {

std::string ModelsDir() {
  if (const char* e = std::getenv("LUTRA_MODELS_DIR"); e != nullptr && *e != '\0') return e;
  return (std::filesystem::path(__FILE__).parent_path() / "../../../shared/models").string();
}

const std::vector<std::string> kBpeVocabs = {"vocab-gpt-2.gguf", "vocab-falcon.gguf",
                                             "vocab-deepseek-coder.gguf", "vocab-starcoder.gguf"};

const std::vector<std::string> kTexts = {
    "Hello world",
    "It's we'll they're I'M DON'T",
    "  leading and   multiple   spaces  \n\n\n  ",
    "digits 0123456789, 3.14159 and 1,000,000",
    "line one\r\nline two\n\n\ttabbed\t\tend",
    "caf\xc3\xa9 na\xc3\xafve \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
    "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c "
    "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87 "
    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7",
    "emoji \xf0\x9f\x98\x80\xf0\x9f\x9a\x80 flags \xf0\x9f\x87\xaf\xf0\x9f\x87\xb5 end",
    "int main(void) {\n    for (int i = 0; i < 10; ++i) { x += y[i] * 2; }\n    return 0;\n}",
    "<|endoftext|> is a special token's text",
    "",
};

struct Loaded {
  std::unique_ptr<gguf::File> file;
  std::unique_ptr<Tokenizer> tok;
};

Loaded Load(const std::string& name) {
  Loaded l;
  auto f = gguf::File::open(ModelsDir() + "/" + name);
  if (!f.ok()) return l;
  l.file = std::make_unique<gguf::File>(std::move(*f));
  auto t = load_tokenizer(*l.file);
  EXPECT_TRUE(t.ok()) << name << ": " << t.error();
  if (t.ok()) l.tok = std::move(*t);
  return l;
}

#define LOAD_OR_SKIP(var, name)                                                        \
  Loaded var = Load(name);                                                             \
  if (!var.file)                                                                       \
    GTEST_SKIP() << ModelsDir() << "/" << name << " is absent (set LUTRA_MODELS_DIR)"; \
  ASSERT_NE(var.tok, nullptr)

int32_t IdOf(const Tokenizer& t, const std::string& piece) {
  for (size_t i = 0; i < t.vocab_size(); ++i) {
    if (t.piece(int32_t(i)) == piece) return int32_t(i);
  }
  ADD_FAILURE() << "no token '" << piece << "'";
  return -1;
}

TEST(BpeTokenizer, RoundTripsVariedText) {
  for (const std::string& v : kBpeVocabs) {
    LOAD_OR_SKIP(l, v);
    for (const std::string& text : kTexts) {
      const std::vector<int32_t> ids = l.tok->encode(text, {});
      EXPECT_EQ(l.tok->decode(ids), text) << v;
      for (int32_t id : ids) ASSERT_TRUE(id >= 0 && size_t(id) < l.tok->vocab_size());
    }
  }
}

// Random byte strings (valid UTF-8 or not) round-trip exactly when every byte has a token;
// bytes a vocabulary cannot represent are dropped, and nothing else changes.
TEST(BpeTokenizer, RandomBytesRoundTrip) {
  std::mt19937 rng(5);
  for (const std::string& v : kBpeVocabs) {
    LOAD_OR_SKIP(l, v);
    std::vector<bool> representable(256), as_character(256);
    for (int b = 0; b < 256; ++b) {
      const std::string one(1, char(b)), back = l.tok->decode(l.tok->encode(one, {}));
      representable[size_t(b)] = back == one;
      as_character[size_t(b)] = !back.empty() && back != one;  // an added token (below)
    }
    for (int i = 0; i < 300; ++i) {
      std::string s(size_t(rng() % 64), '\0');
      for (char& c : s) {
        c = char(rng() % 4 == 0 ? rng() % 256 : 32 + rng() % 95);
        if (as_character[static_cast<unsigned char>(c)]) c = 'x';
      }
      std::string want;
      for (char c : s) {
        if (representable[static_cast<unsigned char>(c)]) want += c;
      }
      EXPECT_EQ(l.tok->decode(l.tok->encode(s, {.parse_special = (i % 2) == 0})), want) << v;
    }
    if (v == "vocab-gpt-2.gguf") {
      for (int b = 0; b < 256; ++b) EXPECT_TRUE(representable[size_t(b)]) << v << " byte " << b;
    }
    if (v == "vocab-deepseek-coder.gguf") {
      // DeepSeek has the byte-level characters of 13 bytes that never occur in UTF-8 (0xC0,
      // 0xC1, 0xF5..0xFF) only as added tokens ("À", ..., "ÿ"), which print as written (as in
      // llama.cpp): such a byte comes back as that character. Every other byte round-trips.
      for (int b = 0; b < 256; ++b) {
        const bool added = b == 0xC0 || b == 0xC1 || b >= 0xF5;
        EXPECT_EQ(representable[size_t(b)], !added) << v << " byte " << b;
        if (added) {
          const std::string character = {char(0xC0 | (b >> 6)), char(0x80 | (b & 0x3F))};
          EXPECT_EQ(l.tok->decode(l.tok->encode(std::string(1, char(b)), {})), character) << b;
        }
      }
    }
  }
}

TEST(BpeTokenizer, HandDerivedIds) {
  {
    LOAD_OR_SKIP(l, "vocab-gpt-2.gguf");
    const Tokenizer& t = *l.tok;
    // "Hello" and " world" are whole tokens of GPT-2's vocabulary; a space is 'Ġ'.
    EXPECT_EQ(t.encode("Hello world", {}),
              (std::vector<int32_t>{IdOf(t, "Hello"), IdOf(t, "\xc4\xa0world")}));
    // GPT-2 keeps a digit run in one piece, so " 2024" can be one token.
    EXPECT_EQ(t.encode(" 2024", {}), (std::vector<int32_t>{IdOf(t,
                                                                "\xc4\xa0"
                                                                "2024")}));
    EXPECT_EQ(t.encode("it's", {}), (std::vector<int32_t>{IdOf(t, "it"), IdOf(t, "'s")}));
    // GPT-2 files do not ask for BOS: add_bos is a request the vocabulary may decline.
    EXPECT_EQ(t.encode("Hello", {.add_bos = true}), (std::vector<int32_t>{IdOf(t, "Hello")}));
  }
  {
    LOAD_OR_SKIP(l, "vocab-starcoder.gguf");
    const Tokenizer& t = *l.tok;
    // StarCoder splits digits one by one before BPE.
    EXPECT_EQ(t.encode("2024", {}),
              (std::vector<int32_t>{IdOf(t, "2"), IdOf(t, "0"), IdOf(t, "2"), IdOf(t, "4")}));
  }
  {
    LOAD_OR_SKIP(l, "vocab-deepseek-coder.gguf");
    const Tokenizer& t = *l.tok;
    EXPECT_EQ(t.encode("42", {}), (std::vector<int32_t>{IdOf(t, "4"), IdOf(t, "2")}));
    // DeepSeek's files ask for BOS.
    EXPECT_EQ(t.encode("42", {.add_bos = true}).front(), t.bos());
  }
}

TEST(BpeTokenizer, SpecialTokensOnlyWhenAsked) {
  LOAD_OR_SKIP(l, "vocab-gpt-2.gguf");
  const Tokenizer& t = *l.tok;
  const int32_t eot = IdOf(t, "<|endoftext|>");
  EXPECT_EQ(t.encode("<|endoftext|>", {.parse_special = true}), (std::vector<int32_t>{eot}));
  const std::vector<int32_t> plain = t.encode("<|endoftext|>", {});
  EXPECT_GT(plain.size(), 1u);
  for (int32_t id : plain) EXPECT_NE(id, eot);
  EXPECT_EQ(t.decode(plain), "<|endoftext|>");
  const std::vector<int32_t> mixed = t.encode("a<|endoftext|>b", {.parse_special = true});
  EXPECT_EQ(mixed, (std::vector<int32_t>{IdOf(t, "a"), eot, IdOf(t, "b")}));
}

// A naive BPE: the pre-tokenized piece as byte characters, then repeatedly the adjacent pair
// whose merge comes first in the merge list is joined (leftmost of equal pairs), by strings.
std::vector<std::string> NaiveBpe(
    const std::string& piece, const std::map<std::pair<std::string, std::string>, size_t>& rank) {
  static const auto chars = [] {
    std::vector<std::string> c(256);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const int cp = self ? b : next++;
      c[size_t(b)] = cp < 0x80 ? std::string(1, char(cp))
                               : std::string{char(0xC0 | (cp >> 6)), char(0x80 | (cp & 0x3F))};
    }
    return c;
  }();
  std::vector<std::string> s;
  for (unsigned char b : piece) s.push_back(chars[b]);
  for (;;) {
    size_t best = SIZE_MAX, at = 0;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      auto it = rank.find({s[i], s[i + 1]});
      if (it != rank.end() && it->second < best) best = it->second, at = i;
    }
    if (best == SIZE_MAX) return s;
    s[at] += s[at + 1];
    s.erase(s.begin() + long(at) + 1);
  }
}

TEST(BpeTokenizer, MergesMatchNaiveBpe) {
  for (const std::string& v : kBpeVocabs) {
    LOAD_OR_SKIP(l, v);
    auto merges = l.file->get_string_array("tokenizer.ggml.merges");
    ASSERT_TRUE(merges.ok());
    std::map<std::pair<std::string, std::string>, size_t> rank;
    for (size_t r = 0; r < merges->size(); ++r) {
      const std::string m((*merges)[r]);
      const size_t sp = m.find(' ', 1);
      rank.emplace(std::make_pair(m.substr(0, sp), m.substr(sp + 1)), r);
    }
    auto pre = l.file->get_string("tokenizer.ggml.pre");
    auto splitter = PreTokenizer::Create(pre.ok() ? std::string(*pre) : "default");
    ASSERT_TRUE(splitter.ok());
    for (const std::string& text : kTexts) {
      std::vector<std::string_view> pieces;
      (*splitter)->Split(text, &pieces);
      std::vector<int32_t> want;
      for (std::string_view p : pieces) {
        for (const std::string& s : NaiveBpe(std::string(p), rank)) want.push_back(IdOf(*l.tok, s));
      }
      EXPECT_EQ(l.tok->encode(text, {}), want) << v << ": " << text;
    }
  }
}

std::vector<std::string> Split(const char* pre, const std::string& text) {
  auto p = PreTokenizer::Create(pre);
  EXPECT_TRUE(p.ok()) << p.error();
  std::vector<std::string_view> v;
  (*p)->Split(text, &v);
  return std::vector<std::string>(v.begin(), v.end());
}

using Pieces = std::vector<std::string>;

TEST(PreTokenizer, DocumentedSplits) {
  EXPECT_EQ(Split("gpt-2", "Hello world it's 12345!!   x"),
            (Pieces{"Hello", " world", " it", "'s", " 12345", "!!", "  ", " x"}));
  // Llama 3: digits in groups of three, case-insensitive contractions, one non-letter may
  // lead a word.
  EXPECT_EQ(Split("llama-bpe", "IT'S 1234567 $abc\n\nx"),
            (Pieces{"IT", "'S", " ", "123", "456", "7", " $", "abc", "\n\n", "x"}));
  // Qwen2: single digits.
  EXPECT_EQ(Split("qwen2", "x 2024"), (Pieces{"x", " ", "2", "0", "2", "4"}));
  EXPECT_EQ(Split("starcoder", "a12 b"), (Pieces{"a", "1", "2", " b"}));
  EXPECT_EQ(Split("falcon", "a+b=12345"), (Pieces{"a", "+", "b", "=", "123", "45"}));
  EXPECT_EQ(Split("deepseek-coder", "hi 42\nyo"), (Pieces{"hi", " ", "4", "2", "\n", "yo"}));
  // GPT-4o (Phi-4-mini): a capital starts a new word, contractions stay attached to theirs,
  // a symbol may lead a word, digits in threes.
  EXPECT_EQ(Split("gpt-4o", "HelloWorld don't IT'S 1234567 a/b\n\nx"),
            (Pieces{"Hello", "World", " don't", " IT'S", " ", "123", "456", "7", " a", "/b", "\n\n",
                    "x"}));
  // Every split covers the text exactly, whatever it is.
  std::string joined;
  for (const std::string& p : Split("llama-bpe", kTexts[5])) joined += p;
  EXPECT_EQ(joined, kTexts[5]);
}

TEST(BpeTokenizer, MalformedVocabulariesAreErrors) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("lutra-bpe-bad-" + std::to_string(getpid()) + ".gguf"))
                               .string();
  auto write = [&](const std::string& pre, const std::vector<std::string>& merges) {
    gguf::Writer w;
    w.set_string("general.architecture", "llama");
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", pre);
    w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "ab"});
    w.set_string_array("tokenizer.ggml.merges", merges);
    ASSERT_TRUE(w.write(path).ok());
  };
  write("klingon", {"a b"});
  {
    auto f = gguf::File::open(path);
    ASSERT_TRUE(f.ok());
    auto t = load_tokenizer(*f);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().find("unsupported pre-tokenizer tokenizer.ggml.pre = 'klingon'"),
              std::string::npos)
        << t.error();
  }
  write("gpt-2", {"a b", "ab"});
  {
    auto f = gguf::File::open(path);
    ASSERT_TRUE(f.ok());
    auto t = load_tokenizer(*f);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().find("tokenizer.ggml.merges[1] = 'ab' is not two pieces"),
              std::string::npos)
        << t.error();
  }
  write("gpt-2", {"a b"});
  {
    auto f = gguf::File::open(path);
    ASSERT_TRUE(f.ok());
    auto t = load_tokenizer(*f);
    ASSERT_TRUE(t.ok()) << t.error();
    EXPECT_EQ((*t)->encode("ab", {}), (std::vector<int32_t>{2}));
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace lutra
