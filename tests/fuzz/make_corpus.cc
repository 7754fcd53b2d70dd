// Writes the seed corpora of the fuzz targets into DIR/<target>/: small valid models of each
// weight type (the synthetic generator), the vocabularies of the models directory, prefixes
// of them cut at several points, texts for the tokenizers and conversations for the chat
// templates. libFuzzer mutates from there.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "lutra/lutra.h"
#include "tests/fuzz/fuzz_util.h"

namespace fs = std::filesystem;

namespace {

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void Write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lutra-fuzz-corpus DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  for (const char* t : {"gguf", "model_load", "tokenizer", "chat_template"}) {
    fs::create_directories(dir / t);
  }
  std::vector<std::string> models;
  for (const char* type : {"f32", "f16", "q8_0", "q4_0"}) {
    const fs::path p = dir / (std::string("synthetic-tiny-") + type + ".gguf");
    lutra_synthetic_options o;
    lutra_synthetic_options_init(&o);
    o.weight_type = type;
    o.embedding_type = type;
    o.output_type = type;
    if (lutra_write_synthetic_model(p.c_str(), &o) != LUTRA_STATUS_OK) {
      std::fprintf(stderr, "%s\n", lutra_last_error());
      return 1;
    }
    models.push_back(Read(p));
    // lutra-packed files (docs/packed-format.md) from the f32 model: symmetric, asymmetric
    // with outlier corrections, ternary; the packed-type reader is fuzzed from valid layouts.
    if (std::string(type) == "f32") {
      struct Packed {
        const char* wtype;
        int asym;
        float outliers;
      };
      for (const Packed& k : {Packed{"q2", 0, 0.0f}, Packed{"q3", 1, 0.02f}, Packed{"tq", 0, 0}}) {
        const fs::path packed = dir / (std::string("packed-") + k.wtype + ".gguf");
        lutra_convert_options c;
        lutra_convert_options_init(&c);
        c.wtype = k.wtype;
        c.group = 32;
        c.asymmetric = k.asym;
        c.outlier_fraction = k.outliers;
        c.threads = 1;
        if (lutra_convert(p.c_str(), packed.c_str(), &c, nullptr) != LUTRA_STATUS_OK) {
          std::fprintf(stderr, "%s\n", lutra_last_error());
          return 1;
        }
        models.push_back(Read(packed));
        fs::remove(packed);
      }
    }
    fs::remove(p);
  }
  // A phi3 model (fused QKV and gate/up matrices, LongRoPE factor tensors and keys, a window):
  // the loader's phi3 path from a valid layout.
  {
    const fs::path p = dir / "synthetic-tiny-phi3.gguf";
    lutra_synthetic_options o;
    lutra_synthetic_options_init(&o);
    o.preset = "tiny-phi3";
    if (lutra_write_synthetic_model(p.c_str(), &o) != LUTRA_STATUS_OK) {
      std::fprintf(stderr, "%s\n", lutra_last_error());
      return 1;
    }
    models.push_back(Read(p));
    fs::remove(p);
  }
  for (const char* v : {"vocab-gpt-2", "vocab-llama-spm", "stories260K"}) {
    const std::string bytes = Read(fs::path(lutra::fuzz::ModelsDir()) / (std::string(v) + ".gguf"));
    if (!bytes.empty() && bytes.size() < (4u << 20)) models.push_back(bytes);
  }
  size_t i = 0;
  for (const std::string& m : models) {
    for (const char* t : {"gguf", "model_load"}) {
      Write(dir / t / ("model-" + std::to_string(i)), m);
      // Prefixes: the header, inside the metadata, inside the tensor table.
      for (size_t cut : {size_t(24), size_t(200), m.size() / 3}) {
        if (cut < m.size())
          Write(dir / t / ("cut-" + std::to_string(i) + "-" + std::to_string(cut)),
                m.substr(0, cut));
      }
    }
    ++i;
  }
  const std::vector<std::string> texts = {"Hello world",
                                          "It's 2024: 12,345 apples!",
                                          "  spaces\n\n\ttabs  ",
                                          "caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80",
                                          "<|endoftext|><s></s>[INST]",
                                          "\xff\xfe\xc3(\xe2\x82",
                                          "int main() { return 0; }"};
  for (size_t k = 0; k < texts.size(); ++k) {
    Write(dir / "tokenizer" / ("text-" + std::to_string(k)), texts[k]);
  }
  // Messages are separated by NUL bytes: sizeof keeps them in the strings.
  static const char kConversation[] = "system\nBe brief.\0user\nHi!\0assistant\nHello.\0user\n2+2?";
  static const char kUnknownRole[] = "tool\nx\0user\n";
  const std::vector<std::string> chats = {
      std::string(kConversation, sizeof kConversation - 1),
      "{% for message in messages %}<|im_start|>{{ message['role'] }}",
      "[INST] <<SYS>>",
      "<start_of_turn>user\n",
      "<|assistant|><|end|>'|>' + message['content']",
      "<|im_start|>user<|im_sep|>",
      std::string(kUnknownRole, sizeof kUnknownRole - 1)};
  for (size_t k = 0; k < chats.size(); ++k) {
    Write(dir / "chat_template" / ("chat-" + std::to_string(k)), chats[k]);
  }
  std::printf("seed corpora in %s\n", dir.c_str());
  return 0;
}
