#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/src/tokenizer/pretokenize.h"

#include <pcre2.h>

#include <utility>

namespace lutra {

// One compiled expression; matching allocates its own match data, so it is thread-safe.
class Regex {
 public:
  static Expected<std::unique_ptr<Regex>> Compile(const std::string& pattern) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &code, &offset, nullptr);
    if (re == nullptr) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(code, msg, sizeof msg);
      return InvalidModel("pre-tokenizer expression '" + pattern + "' at offset " +
                          std::to_string(offset) + ": " + reinterpret_cast<const char*>(msg));
    }
    // JIT is an optimisation: where it is unavailable, the interpreter matches the same.
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    auto r = std::unique_ptr<Regex>(new Regex());
    r->code_ = re;
    return r;
  }
  ~Regex() { pcre2_code_free(code_); }

  // Cuts `text` into matches and the gaps between them, appending to `out`.
  void Split(std::string_view text, std::vector<std::string_view>* out) const {
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_, nullptr);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t pos = 0, gap = 0;
    while (pos < text.size()) {
      // The text was validated once by the tokenizer: no per-call UTF check.
      const int rc = pcre2_match(code_, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, md, nullptr);
      if (rc < 0) break;
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
      const size_t begin = ov[0], end = ov[1];
      if (end == begin) {  // an empty match: step over one character
        pos = begin + 1;
        while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
        continue;
      }
      if (begin > gap) out->push_back(text.substr(gap, begin - gap));
      out->push_back(text.substr(begin, end - begin));
      pos = gap = end;
    }
    if (gap < text.size()) out->push_back(text.substr(gap));
    pcre2_match_data_free(md);
  }

 private:
  Regex() = default;
  pcre2_code* code_ = nullptr;
};

namespace {

// GPT-2's expression: contractions, letters, numbers, other symbols (each with an optional
// leading space), then whitespace runs that leave the last space to the next word.
constexpr const char* kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Llama 3: case-insensitive contractions, a letter run may take one leading non-letter,
// numbers in groups of at most three digits, newlines kept with the preceding symbols.
constexpr const char* kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: as Llama 3, but every digit on its own.
constexpr const char* kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// GPT-4o's (o200k; Phi-4-mini's tokenizer): a word is an optional non-letter, then capitals
// and a lower-case run or a capital run and lower-case letters (so "HelloWorld" is two words),
// with a contraction attached ("don't" stays whole); numbers in groups of at most three;
// symbol runs keep following line breaks and slashes. Hugging Face's tokenizer.json expression
// as is: PCRE2 reads its Unicode classes.
constexpr const char* kGpt4o =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct Known {
  const char* name;
  std::vector<const char*> splits;
};

const std::vector<Known>& KnownPreTokenizers() {
  static const std::vector<Known> known = {
      {"default", {kGpt2}},
      {"gpt-2", {kGpt2}},
      {"llama-bpe", {kLlama3}},
      {"llama3", {kLlama3}},
      {"qwen2", {kQwen2}},
      {"gpt-4o", {kGpt4o}},
      // Punctuation runs (Unicode P and the ASCII symbols), the GPT-2 split, runs of ASCII
      // digits, then groups of three. The digit step is Hugging Face's Digits pre-tokenizer,
      // which takes ASCII digits only: " ½" and " ²" (No) stay one piece, as in llama.cpp.
      {"falcon", {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, R"([0-9]+)", R"([0-9][0-9][0-9])"}},
      // Line breaks, letter runs and punctuation runs (each with one optional leading space),
      // CJK runs, then single digits.
      {"deepseek-coder",
       {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", R"([一-龥ࠀ-一가-퟿]+)", R"(\p{N})"}},
      // Single digits, then the GPT-2 split.
      {"starcoder", {R"(\p{N})", kGpt2}},
  };
  return known;
}

}  // namespace

const char* PreTokenizerNames() {
  return "default, gpt-2, llama-bpe, llama3, qwen2, gpt-4o, falcon, deepseek-coder, starcoder";
}

PreTokenizer::~PreTokenizer() = default;

Expected<std::unique_ptr<PreTokenizer>> PreTokenizer::Create(const std::string& name) {
  for (const Known& k : KnownPreTokenizers()) {
    if (name != k.name) continue;
    auto p = std::unique_ptr<PreTokenizer>(new PreTokenizer());
    for (const char* pattern : k.splits) {
      auto re = Regex::Compile(pattern);
      if (!re) return re.failure();
      p->splits_.push_back(std::move(*re));
    }
    return p;
  }
  return InvalidModel("unsupported pre-tokenizer tokenizer.ggml.pre = '" + name +
                      "' (supported: " + PreTokenizerNames() + ")");
}

void PreTokenizer::Split(std::string_view text, std::vector<std::string_view>* out) const {
  std::vector<std::string_view> pieces = {text}, next;
  for (const auto& re : splits_) {
    next.clear();
    for (std::string_view p : pieces) re->Split(p, &next);
    pieces.swap(next);
  }
  out->insert(out->end(), pieces.begin(), pieces.end());
}

}  // namespace lutra
