// SentencePiece-style tokenizer on the real vocabularies: round trip, hand-derived ids,
// byte fallback, streaming decode, random bytes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/writer.h"
#include "engine/src/tokenizer/tokenizer.h"
#include "engine/src/tokenizer/utf8_stream.h"

namespace lutra {
namespace {

std::string models_dir() {
  if (const char* e = std::getenv("LUTRA_MODELS_DIR"); e != nullptr && *e != '\0') return e;
  return (std::filesystem::path(__FILE__).parent_path() / "../../../shared/models").string();
}

const std::vector<std::string> kTexts = {
    "Hello world",
    "Once upon a time, there was a little girl named Lily.",
    "  leading and   multiple   spaces  ",
    "digits 0123456789 and 3.14159",
    "line one\nline two\n\n\ttabbed",
    "caf\xc3\xa9 na\xc3\xafve \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
    "\xe4\xbd\xa0\xe5\xa5\xbd "
    "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87",
    "emoji \xf0\x9f\x98\x80\xf0\x9f\x9a\x80 end",
    "",
};

void check_vocab(const std::string& file, size_t expect_vocab) {
  const std::string path = models_dir() + "/" + file;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "model not found: " << path;
  auto f = gguf::File::open(path);
  ASSERT_TRUE(f.ok()) << f.error();
  auto tk = load_tokenizer(*f);
  ASSERT_TRUE(tk.ok()) << tk.error();
  const Tokenizer& t = **tk;
  EXPECT_EQ(t.vocab_size(), expect_vocab);
  EXPECT_EQ(t.bos(), static_cast<int32_t>(*f->get_count("tokenizer.ggml.bos_token_id")));
  EXPECT_EQ(t.eos(), static_cast<int32_t>(*f->get_count("tokenizer.ggml.eos_token_id")));
  for (const std::string& s : kTexts) {
    auto ids = t.encode(s, {});
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && static_cast<size_t>(id) < t.vocab_size());
    EXPECT_EQ(t.decode(ids), s) << s;
    auto with_bos = t.encode(s, {.add_bos = true});
    ASSERT_FALSE(with_bos.empty());
    EXPECT_EQ(with_bos[0], t.bos());
    EXPECT_EQ(t.decode(with_bos), s);
  }
  // Hand-derived ids: "Hello" with the leading-space prefix must be the single piece "▁Hello"
  // when the vocabulary has it; otherwise at least every output piece must be in the vocab.
  auto scores = *f->get_f32_array("tokenizer.ggml.scores");
  auto tokens = *f->get_string_array("tokenizer.ggml.tokens");
  int32_t hello = -1;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == "\xe2\x96\x81Hello") hello = static_cast<int32_t>(i);
  }
  if (hello >= 0) {
    EXPECT_EQ(t.encode("Hello", {}), std::vector<int32_t>{hello});
  }
  // Two-symbol merge choice: for "ab"-like strings the result must be the vocab piece, and a
  // single character maps to its own piece id.
  int32_t a = -1;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == "a") a = static_cast<int32_t>(i);
  }
  (void)scores;
  if (a >= 0) {
    auto ids = t.encode("xa", {});
    EXPECT_EQ(t.decode(ids), "xa");
  }
  // Emoji absent from the vocabulary falls back to its 4 byte tokens.
  auto e = t.encode("\xf0\x9f\xa6\x9c", {});
  size_t bytes = 0;
  for (int32_t id : e) bytes += t.kind(id) == TokenKind::Byte ? 1 : 0;
  EXPECT_GE(bytes, 4u);
  // Special token text is only recognised when asked.
  const std::string bos_text = t.piece(t.bos());
  auto plain = t.encode(bos_text + "hi", {});
  auto special = t.encode(bos_text + "hi", {.parse_special = true});
  EXPECT_EQ(special[0], t.bos());
  EXPECT_NE(plain[0], t.bos());
  // Random bytes never crash and round-trip through byte fallback.
  std::mt19937 rng(99);
  for (int it = 0; it < 200; ++it) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    if (!s.empty() && s[0] == ' ') s[0] = 'x';  // documented: one leading space is the prefix
    EXPECT_EQ(t.decode(t.encode(s, {})), s);
  }
  // Streaming decoder: each chunk is a whole number of UTF-8 characters.
  const std::string text = kTexts[5] + kTexts[6];
  Utf8Stream st;
  std::string joined;
  auto ids = t.encode(text, {});
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string b = t.token_bytes(ids[i]);
    if (i == 0 && !b.empty() && b[0] == ' ') b.erase(0, 1);
    std::string chunk = st.push(b);
    size_t j = 0;
    while (j < chunk.size()) {
      const auto c = static_cast<unsigned char>(chunk[j]);
      const size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
      ASSERT_LE(j + len, chunk.size()) << "partial character emitted";
      j += len;
    }
    joined += chunk;
  }
  joined += st.flush();
  EXPECT_EQ(joined, text);
}

TEST(TokenizerSpm, Stories260K) {
  check_vocab("stories260K.gguf", 512);
}
TEST(TokenizerSpm, LlamaSpm32000) {
  check_vocab("vocab-llama-spm.gguf", 32000);
}
TEST(TokenizerSpm, Phi3) {
  check_vocab("vocab-phi-3.gguf", 32064);
}

TEST(TokenizerSpm, UnknownModelIsNamed) {
  gguf::Writer w;
  w.set_string("tokenizer.ggml.model", "wordpiece-xyz");
  const std::string path =
      (std::filesystem::temp_directory_path() / "lutra_tok_unknown.gguf").string();
  ASSERT_TRUE(w.write(path).ok());
  auto f = gguf::File::open(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(f.ok()) << f.error();
  auto tk = load_tokenizer(*f);
  ASSERT_FALSE(tk.ok());
  EXPECT_NE(tk.error().find("'wordpiece-xyz'"), std::string::npos) << tk.error();
}

// A vocabulary with the given byte-typed (token_type 6) pieces after "a" and "b".
Expected<std::unique_ptr<Tokenizer>> load_with_byte_pieces(const std::vector<std::string>& bytes) {
  std::vector<std::string> tokens = {"a", "b"};
  std::vector<int32_t> types = {1, 1};
  for (const std::string& b : bytes) tokens.push_back(b), types.push_back(6);
  gguf::Writer w;
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_bool("tokenizer.ggml.add_space_prefix", false);
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_array("tokenizer.ggml.token_type", gguf::ValueType::I32, types.data(), types.size());
  const std::string path =
      (std::filesystem::temp_directory_path() / "lutra_tok_bytes.gguf").string();
  EXPECT_TRUE(w.write(path).ok());
  auto f = gguf::File::open(path);
  std::filesystem::remove(path);
  if (!f.ok()) return f.failure();
  return load_tokenizer(*f);
}

TEST(TokenizerSpm, ByteTokensDecodeToTheirByte) {
  auto tk = load_with_byte_pieces({"<0x0A>", "<0xff>", "<0xC3>"});
  ASSERT_TRUE(tk.ok()) << tk.error();
  EXPECT_EQ((*tk)->token_bytes(2), "\n");
  EXPECT_EQ((*tk)->token_bytes(3), "\xff");
  // A character absent from the vocabulary falls back to the byte tokens that exist.
  EXPECT_EQ((*tk)->encode("\n", {}), std::vector<int32_t>{2});
}

TEST(TokenizerSpm, MalformedByteTokenIsNamed) {
  // A signed or non-hex "byte" must be refused, never used as an index (fuzzer find: "<0x-1>").
  for (const std::string bad : {"<0x-1>", "<0x+F>", "<0xG0>", "<0x1>", "<0x100>", "0x41"}) {
    auto tk = load_with_byte_pieces({"<0x41>", bad});
    ASSERT_FALSE(tk.ok()) << bad;
    EXPECT_NE(tk.error().find("tokenizer.ggml.tokens[3]"), std::string::npos) << tk.error();
    EXPECT_NE(tk.error().find(bad), std::string::npos) << tk.error();
  }
}

}  // namespace
}  // namespace lutra
