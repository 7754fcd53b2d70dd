// Picks the tokenizer implementation named by tokenizer.ggml.model.
#include "engine/src/tokenizer/bpe.h"
#include "engine/src/tokenizer/spm.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace lutra {

Expected<std::unique_ptr<Tokenizer>> load_tokenizer(const gguf::File& file) {
  auto model = file.get_string("tokenizer.ggml.model");
  if (!model) return model.failure();
  if (*model == "llama") return SpmTokenizer::create(file);
  if (*model == "gpt2") return BpeTokenizer::create(file);
  return InvalidModel(file.path() + ": unsupported tokenizer.ggml.model '" + std::string(*model) +
                      "' (supported: llama (SentencePiece), gpt2 (byte-level BPE))");
}

}  // namespace lutra
