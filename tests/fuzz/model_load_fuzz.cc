// Model load through the public C API on arbitrary bytes, then, if it loads, everything a
// client does next: info, chat template, tokenize, a session with a small context, prefill,
// one sampled token. Every step must return a status, never crash; allocation failures must
// come back as LUTRA_STATUS_OUT_OF_MEMORY.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lutra/lutra.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lutra::fuzz::MemoryFile file(data, size);
  for (int vocab_only : {0, 1}) {
    lutra_model_options o;
    lutra_model_options_init(&o);
    o.threads = 1;
    o.context_length = 16;
    o.vocab_only = vocab_only;
    lutra_model* model = nullptr;
    if (lutra_model_load(file.path().c_str(), &o, &model) != LUTRA_STATUS_OK) continue;
    lutra_model_info info;
    lutra_model_info_init(&info);
    lutra_model_get_info(model, &info);
    const char* name = nullptr;
    lutra_chat_template_name(model, &name);
    int32_t tokens[16];
    size_t n = 0;
    const char text[] = "Hello, world! 123";
    if (lutra_tokenize(model, text, sizeof text - 1, 1, 1, tokens, 16, &n) == LUTRA_STATUS_OK &&
        n > 0) {
      char buf[256];
      size_t len = 0;
      lutra_detokenize(model, tokens, n, buf, sizeof buf, &len);
    } else {
      n = 0;
    }
    lutra_session* s = nullptr;
    if (lutra_session_create(model, &s) == LUTRA_STATUS_OK) {
      if (n == 0) tokens[n++] = 0;
      if (lutra_session_prefill(s, tokens, n, nullptr, nullptr) == LUTRA_STATUS_OK) {
        lutra_sampler_options so;
        lutra_sampler_options_init(&so);
        int32_t next = 0;
        lutra_session_sample(s, &so, &next);
      }
      lutra_session_free(s);
    }
    lutra_model_free(model);
  }
  return 0;
}
