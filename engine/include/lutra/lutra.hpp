// lutra: header-only C++ wrapper over the C API (lutra.h). Needs C++17.
//
// - Model and Session are move-only RAII owners of lutra_model / lutra_session.
// - Errors are C++ exceptions, on this side only: a failing C call throws lutra::Exception
//   carrying the lutra_status and the library's message. An exception thrown by a Generate
//   callback stops the generation and is rethrown from Generate; none crosses the C library.
// - Thread safety and ownership are those of the C functions each method calls (lutra.h): a
//   Model may be used from several threads at once; a Session from one thread at a time. A
//   Model must outlive its Sessions. Logits views are valid until the Session's next call.
#ifndef LUTRA_LUTRA_HPP_
#define LUTRA_LUTRA_HPP_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lutra/lutra.h"

namespace lutra {

class Exception : public std::runtime_error {
 public:
  Exception(lutra_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  lutra_status status() const noexcept { return status_; }

 private:
  lutra_status status_;
};

// Throws for any status but OK, with the calling thread's last-error message.
inline void Check(lutra_status status) {
  if (status != LUTRA_STATUS_OK) throw Exception(status, lutra_last_error());
}

inline lutra_model_options DefaultModelOptions() {
  lutra_model_options o;
  lutra_model_options_init(&o);
  return o;
}

inline lutra_session_options DefaultSessionOptions() {
  lutra_session_options o;
  lutra_session_options_init(&o);
  return o;
}

inline lutra_sampler_options DefaultSamplerOptions() {
  lutra_sampler_options o;
  lutra_sampler_options_init(&o);
  return o;
}

inline lutra_generate_options DefaultGenerateOptions() {
  lutra_generate_options o;
  lutra_generate_options_init(&o);
  return o;
}

// A view of logits owned by a Session.
struct Logits {
  const float* data = nullptr;
  size_t size = 0;
  const float* begin() const { return data; }
  const float* end() const { return data + size; }
  float operator[](size_t i) const { return data[i]; }
};

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

class Model {
 public:
  Model() = default;
  // Takes ownership of a model loaded through the C API.
  explicit Model(lutra_model* model) noexcept : model_(model) {}
  ~Model() { lutra_model_free(model_); }
  Model(Model&& o) noexcept : model_(std::exchange(o.model_, nullptr)) {}
  Model& operator=(Model&& o) noexcept {
    if (this != &o) {
      lutra_model_free(model_);
      model_ = std::exchange(o.model_, nullptr);
    }
    return *this;
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  static Model Load(const std::string& path, const lutra_model_options& options) {
    lutra_model* m = nullptr;
    Check(lutra_model_load(path.c_str(), &options, &m));
    return Model(m);
  }
  static Model Load(const std::string& path) { return Load(path, DefaultModelOptions()); }

  lutra_model* get() const noexcept { return model_; }
  explicit operator bool() const noexcept { return model_ != nullptr; }
  lutra_model* release() noexcept { return std::exchange(model_, nullptr); }

  // The message of the last failed call on this model ("" if none).
  const char* LastError() const { return lutra_model_last_error(model_); }

  lutra_model_info Info() const {
    lutra_model_info info;
    lutra_model_info_init(&info);
    Check(lutra_model_get_info(model_, &info));
    return info;
  }

  std::vector<int32_t> Tokenize(std::string_view text, bool add_bos = true,
                                bool parse_special = false) const {
    std::vector<int32_t> tokens(text.size() + 2);  // a first guess; retried when short
    size_t n = 0;
    lutra_status s = lutra_tokenize(model_, text.data(), text.size(), add_bos, parse_special,
                                    tokens.data(), tokens.size(), &n);
    if (s == LUTRA_STATUS_BUFFER_TOO_SMALL) {
      tokens.resize(n);
      s = lutra_tokenize(model_, text.data(), text.size(), add_bos, parse_special, tokens.data(),
                         tokens.size(), &n);
    }
    Check(s);
    tokens.resize(n);
    return tokens;
  }

  // The bytes of one token (possibly part of a UTF-8 character; none for control tokens).
  std::string Piece(int32_t token) const {
    return Bytes([&](char* buf, size_t cap, size_t* n) {
      return lutra_token_to_piece(model_, token, buf, cap, n);
    });
  }

  std::string Detokenize(const int32_t* tokens, size_t count) const {
    return Bytes([&](char* buf, size_t cap, size_t* n) {
      return lutra_detokenize(model_, tokens, count, buf, cap, n);
    });
  }
  std::string Detokenize(const std::vector<int32_t>& tokens) const {
    return Detokenize(tokens.data(), tokens.size());
  }

  // The family of the model's chat template ("llama3", "chatml", ...), "raw" when the file has
  // none or an unrecognised one.
  std::string ChatTemplateName() const {
    const char* name = "raw";
    const lutra_status s = lutra_chat_template_name(model_, &name);
    if (s != LUTRA_STATUS_UNSUPPORTED) Check(s);
    return name;
  }

  // The conversation as a prompt (tokenize it with add_bos and parse_special), with the
  // model's template or the named one (lutra_chat_template_names()).
  std::string ApplyChatTemplate(const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt = true,
                                const char* template_name = nullptr) const {
    std::vector<lutra_chat_message> c(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      c[i].role = messages[i].role.c_str();
      c[i].content = messages[i].content.c_str();
    }
    return Bytes([&](char* buf, size_t cap, size_t* n) {
      return lutra_chat_apply_template(model_, template_name, c.data(), c.size(),
                                       add_generation_prompt, buf, cap, n);
    });
  }

 private:
  template <typename Call>
  static std::string Bytes(Call&& call) {
    std::string s(32, '\0');
    size_t n = 0;
    lutra_status st = call(s.data(), s.size(), &n);
    if (st == LUTRA_STATUS_BUFFER_TOO_SMALL) {
      s.resize(n);
      st = call(s.data(), s.size(), &n);
    }
    Check(st);
    s.resize(n);
    return s;
  }

  lutra_model* model_ = nullptr;
};

class Session {
 public:
  Session() = default;
  explicit Session(lutra_session* session) noexcept : session_(session) {}
  ~Session() { lutra_session_free(session_); }
  Session(Session&& o) noexcept : session_(std::exchange(o.session_, nullptr)) {}
  Session& operator=(Session&& o) noexcept {
    if (this != &o) {
      lutra_session_free(session_);
      session_ = std::exchange(o.session_, nullptr);
    }
    return *this;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  static Session Create(const Model& model) {
    lutra_session* s = nullptr;
    Check(lutra_session_create(model.get(), &s));
    return Session(s);
  }
  // A session with its own settings (zero fields: the model's).
  static Session Create(const Model& model, const lutra_session_options& options) {
    lutra_session* s = nullptr;
    Check(lutra_session_create_with_options(model.get(), &options, &s));
    return Session(s);
  }

  lutra_session* get() const noexcept { return session_; }
  explicit operator bool() const noexcept { return session_ != nullptr; }
  lutra_session* release() noexcept { return std::exchange(session_, nullptr); }

  void Reset() { Check(lutra_session_reset(session_)); }
  size_t Position() const { return lutra_session_position(session_); }

  Logits Prefill(const int32_t* tokens, size_t count) {
    Logits l;
    Check(lutra_session_prefill(session_, tokens, count, &l.data, &l.size));
    return l;
  }
  Logits Prefill(const std::vector<int32_t>& tokens) {
    return Prefill(tokens.data(), tokens.size());
  }
  Logits Decode(int32_t token) {
    Logits l;
    Check(lutra_session_decode(session_, token, &l.data, &l.size));
    return l;
  }
  // Every token's logits, tokens.size() × n_vocab floats row by row.
  std::vector<float> Evaluate(const std::vector<int32_t>& tokens, size_t n_vocab) {
    std::vector<float> logits(tokens.size() * n_vocab);
    Check(lutra_session_evaluate(session_, tokens.data(), tokens.size(), logits.data(),
                                 logits.size()));
    return logits;
  }
  // The next token from the last logits (not appended: pass it to Decode).
  int32_t Sample(const lutra_sampler_options& options) {
    int32_t token = -1;
    Check(lutra_session_sample(session_, &options, &token));
    return token;
  }

  // Streams generated text to on_text(std::string_view), which returns false to stop.
  template <typename OnText>
  lutra_generate_stats Generate(const std::vector<int32_t>& prompt,
                                const lutra_generate_options& options, OnText&& on_text) {
    struct Context {
      OnText* fn;
      std::exception_ptr error;
    } ctx{&on_text, nullptr};
    lutra_text_callback trampoline = [](const char* text, size_t length, void* user) -> int {
      Context* c = static_cast<Context*>(user);
      try {
        return (*c->fn)(std::string_view(text, length)) ? 0 : 1;
      } catch (...) {
        c->error = std::current_exception();
        return 1;
      }
    };
    lutra_generate_stats stats{};
    stats.struct_size = sizeof(stats);
    const lutra_status s =
        lutra_generate(session_, prompt.data(), prompt.size(), &options, trampoline, &ctx, &stats);
    if (ctx.error) std::rethrow_exception(ctx.error);
    Check(s);
    return stats;
  }
  lutra_generate_stats Generate(const std::vector<int32_t>& prompt,
                                const lutra_generate_options& options) {
    return Generate(prompt, options, [](std::string_view) { return true; });
  }

  // The message of this session's last failure ("" if none).
  const char* LastError() const { return lutra_session_last_error(session_); }

 private:
  lutra_session* session_ = nullptr;
};

}  // namespace lutra

#endif  // LUTRA_LUTRA_HPP_
