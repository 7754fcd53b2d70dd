// Chat prompt formats. A GGUF file carries its chat template as Jinja source
// (tokenizer.chat_template); rather than interpret Jinja, the template is recognised as one of
// the common families by markers only that family uses, and rendered by a formatter written
// for that family's documented prompt format. An unrecognised template is an error naming it;
// callers can then choose a family by name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/common/status.h"

namespace lutra::chat {

enum class Format {
  kLlama2,    // [INST] <<SYS>> ... <</SYS>> ... [/INST] ... </s>
  kLlama3,    // <|start_header_id|>role<|end_header_id|>\n\n ... <|eot_id|>
  kChatml,    // <|im_start|>role\n ... <|im_end|>\n (Qwen, many fine-tunes)
  kPhi3,      // <|role|>\n ... <|end|>\n (Phi-3, Phi-3.5)
  kPhi4Mini,  // <|role|> ... <|end|> (Phi-4-mini: no line breaks)
  kPhi4,      // <|im_start|>role<|im_sep|> ... <|im_end|> (Phi-4)
  kMistral,   // [INST] ... [/INST] ... </s> (system text joins the first user turn)
  kGemma,     // <start_of_turn>user\n ... <end_of_turn>\n, assistant is "model"
  kBitnet,    // Role: ...<|eot_id|> (BitNet b1.58 2B4T)
  kRaw,       // no template: contents joined by newlines (base models)
};

struct Message {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

// The family a Jinja template belongs to, or nullopt.
std::optional<Format> Detect(std::string_view jinja);
// "llama2", "llama3", "chatml", "phi3", "phi4-mini", "phi4", "mistral", "gemma", "bitnet", "raw"
// (also accepted: "llama-2", "llama-3", "qwen", "phi-3", "phi-4-mini", "phi-4"); nullopt for
// others.
std::optional<Format> FromName(std::string_view name);
const char* Name(Format f);
// The accepted names, comma separated.
const char* Names();

// The prompt text for `messages` (without the BOS token, which the tokenizer adds), ending
// with the assistant's turn opening when add_generation_prompt. InvalidArgument for an unknown
// role.
Status Render(Format f, const std::vector<Message>& messages, bool add_generation_prompt,
              std::string* out);

}  // namespace lutra::chat
