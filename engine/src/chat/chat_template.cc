#include "engine/src/chat/chat_template.h"

namespace lutra::chat {
namespace {

bool Has(std::string_view s, std::string_view marker) {
  return s.find(marker) != std::string_view::npos;
}

// Llama 2 and Mistral share the [INST] turns; Llama 2 wraps the system prompt in <<SYS>>
// inside the first turn, Mistral puts it before the first user message.
void RenderInst(bool llama2, const std::vector<Message>& m, std::string* out) {
  std::string system;
  bool first_user = true;
  for (const Message& msg : m) {
    if (msg.role == "system") {
      system = msg.content;
    } else if (msg.role == "user") {
      *out += first_user ? "[INST] " : "<s>[INST] ";
      if (first_user && !system.empty()) {
        *out += llama2 ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" : system + "\n\n";
      }
      *out += msg.content + " [/INST]";
      first_user = false;
    } else {
      *out += " " + msg.content + " </s>";
    }
  }
}

}  // namespace

std::optional<Format> Detect(std::string_view t) {
  // Phi-4 is ChatML with <|im_sep|> after the role; Phi-4-mini is Phi-3's turns without the
  // line breaks, its role tag followed by the content itself.
  if (Has(t, "<|im_sep|>")) return Format::kPhi4;
  if (Has(t, "<|im_start|>")) return Format::kChatml;
  if (Has(t, "<|start_header_id|>")) return Format::kLlama3;
  if (Has(t, "<|assistant|>") && Has(t, "<|end|>")) {
    return Has(t, "|>' + message['content']") ? Format::kPhi4Mini : Format::kPhi3;
  }
  if (Has(t, "<start_of_turn>")) return Format::kGemma;
  if (Has(t, "<|eot_id|>") && Has(t, "Assistant: ")) return Format::kBitnet;
  if (Has(t, "[INST]")) return Has(t, "<<SYS>>") ? Format::kLlama2 : Format::kMistral;
  return std::nullopt;
}

std::optional<Format> FromName(std::string_view n) {
  if (n == "llama2" || n == "llama-2") return Format::kLlama2;
  if (n == "llama3" || n == "llama-3") return Format::kLlama3;
  if (n == "chatml" || n == "qwen") return Format::kChatml;
  if (n == "phi3" || n == "phi-3") return Format::kPhi3;
  if (n == "phi4-mini" || n == "phi-4-mini") return Format::kPhi4Mini;
  if (n == "phi4" || n == "phi-4") return Format::kPhi4;
  if (n == "mistral") return Format::kMistral;
  if (n == "gemma") return Format::kGemma;
  if (n == "bitnet") return Format::kBitnet;
  if (n == "raw") return Format::kRaw;
  return std::nullopt;
}

const char* Name(Format f) {
  switch (f) {
    case Format::kLlama2:
      return "llama2";
    case Format::kLlama3:
      return "llama3";
    case Format::kChatml:
      return "chatml";
    case Format::kPhi3:
      return "phi3";
    case Format::kPhi4Mini:
      return "phi4-mini";
    case Format::kPhi4:
      return "phi4";
    case Format::kMistral:
      return "mistral";
    case Format::kGemma:
      return "gemma";
    case Format::kBitnet:
      return "bitnet";
    case Format::kRaw:
      return "raw";
  }
  return "raw";
}

const char* Names() {
  return "llama2, llama3, chatml, phi3, phi4-mini, phi4, mistral, gemma, bitnet, raw";
}

Status Render(Format f, const std::vector<Message>& m, bool add_generation_prompt,
              std::string* out) {
  for (size_t i = 0; i < m.size(); ++i) {
    const std::string& r = m[i].role;
    if (r != "system" && r != "user" && r != "assistant") {
      return InvalidArgument("chat message " + std::to_string(i) + ": unknown role '" + r +
                             "' (expected system, user or assistant)");
    }
  }
  out->clear();
  switch (f) {
    case Format::kLlama2:
    case Format::kMistral:
      RenderInst(f == Format::kLlama2, m, out);
      break;
    case Format::kLlama3:
      for (const Message& msg : m) {
        *out +=
            "<|start_header_id|>" + msg.role + "<|end_header_id|>\n\n" + msg.content + "<|eot_id|>";
      }
      if (add_generation_prompt) *out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case Format::kChatml:
      for (const Message& msg : m) {
        *out += "<|im_start|>" + msg.role + "\n" + msg.content + "<|im_end|>\n";
      }
      if (add_generation_prompt) *out += "<|im_start|>assistant\n";
      break;
    case Format::kPhi3:
      for (const Message& msg : m) *out += "<|" + msg.role + "|>\n" + msg.content + "<|end|>\n";
      if (add_generation_prompt) *out += "<|assistant|>\n";
      break;
    case Format::kPhi4Mini:
      for (const Message& msg : m) *out += "<|" + msg.role + "|>" + msg.content + "<|end|>";
      if (add_generation_prompt) *out += "<|assistant|>";
      break;
    case Format::kPhi4:
      for (const Message& msg : m) {
        *out += "<|im_start|>" + msg.role + "<|im_sep|>" + msg.content + "<|im_end|>";
      }
      if (add_generation_prompt) *out += "<|im_start|>assistant<|im_sep|>";
      break;
    case Format::kGemma: {
      // No system role: its text opens the first user turn.
      std::string system;
      for (const Message& msg : m) {
        if (msg.role == "system") {
          system = msg.content + "\n\n";
          continue;
        }
        const bool user = msg.role == "user";
        *out += std::string("<start_of_turn>") + (user ? "user" : "model") + "\n" +
                (user ? system : "") + msg.content + "<end_of_turn>\n";
        if (user) system.clear();
      }
      if (add_generation_prompt) *out += "<start_of_turn>model\n";
      break;
    }
    case Format::kBitnet:
      for (const Message& msg : m) {
        const std::string role = msg.role == "system" ? "System"
                                 : msg.role == "user" ? "User"
                                                      : "Assistant";
        *out += role + ": " + msg.content + "<|eot_id|>";
      }
      if (add_generation_prompt) *out += "Assistant: ";
      break;
    case Format::kRaw:
      for (size_t i = 0; i < m.size(); ++i) *out += (i ? "\n" : "") + m[i].content;
      break;
  }
  return Status::Ok();
}

}  // namespace lutra::chat
