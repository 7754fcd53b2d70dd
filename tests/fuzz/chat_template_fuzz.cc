// Chat templates on arbitrary bytes: detection on the input as Jinja text, and rendering of
// messages cut from the input ('\n' separates role and content, '\0' separates messages) in
// every format.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/src/chat/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  (void)lutra::chat::Detect(in);
  (void)lutra::chat::FromName(in);
  std::vector<lutra::chat::Message> messages;
  size_t start = 0;
  while (start <= in.size()) {
    const size_t end = in.find('\0', start);
    const std::string m =
        in.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t nl = m.find('\n');
    messages.push_back({m.substr(0, nl), nl == std::string::npos ? "" : m.substr(nl + 1)});
    if (end == std::string::npos) break;
    start = end + 1;
  }
  using F = lutra::chat::Format;
  for (F f : {F::kLlama2, F::kLlama3, F::kChatml, F::kPhi3, F::kMistral, F::kGemma, F::kBitnet,
              F::kRaw}) {
    std::string out;
    for (bool gen : {false, true}) (void)lutra::chat::Render(f, messages, gen, &out);
  }
  return 0;
}
