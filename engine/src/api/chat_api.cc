// lutra_chat_template_name / lutra_chat_apply_template.
#include <cstring>
#include <string>
#include <vector>

#include "engine/src/api/handles.h"
#include "engine/src/chat/chat_template.h"

namespace {

using lutra::api::Fail;
using lutra::chat::Format;

lutra_status ModelFormat(const lutra_model* model, Format* out) {
  *out = Format::kRaw;
  if (!model->has_chat_template) {
    return Fail(LUTRA_STATUS_UNSUPPORTED, model->model->file().path() +
                                              " has no tokenizer.chat_template (use a template "
                                              "name: " +
                                              lutra::chat::Names() + ")");
  }
  const auto f = lutra::chat::Detect(model->chat_template);
  if (!f) {
    return Fail(LUTRA_STATUS_UNSUPPORTED,
                model->model->file().path() + ": unrecognised chat template \"" +
                    model->chat_template.substr(0, 60) +
                    (model->chat_template.size() > 60 ? "..." : "") +
                    "\" (use a template name: " + lutra::chat::Names() + ")");
  }
  *out = *f;
  return LUTRA_STATUS_OK;
}

}  // namespace

extern "C" {

const char* lutra_chat_template_names(void) {
  return lutra::chat::Names();
}

lutra_status lutra_chat_template_name(const lutra_model* model, const char** name) {
  return lutra::api::Guard("lutra_chat_template_name", [&] {
    if (model == nullptr || name == nullptr) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_chat_template_name: NULL argument");
    }
    Format f;
    const lutra_status s = ModelFormat(model, &f);
    *name = lutra::chat::Name(f);
    if (s == LUTRA_STATUS_OK) lutra::api::ClearError();
    return s;
  });
}

lutra_status lutra_chat_apply_template(const lutra_model* model, const char* template_name,
                                       const lutra_chat_message* messages, size_t count,
                                       int add_generation_prompt, char* buf, size_t capacity,
                                       size_t* length) {
  return lutra::api::Guard("lutra_chat_apply_template", [&] {
    if (length == nullptr || (messages == nullptr && count > 0) ||
        (buf == nullptr && capacity > 0)) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_chat_apply_template: NULL argument");
    }
    Format f = Format::kRaw;
    if (template_name != nullptr) {
      const auto named = lutra::chat::FromName(template_name);
      if (!named) {
        return Fail(LUTRA_STATUS_INVALID_ARGUMENT, std::string("unknown chat template '") +
                                                       template_name +
                                                       "' (known: " + lutra::chat::Names() + ")");
      }
      f = *named;
    } else if (model == nullptr) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                  "lutra_chat_apply_template: no model and no template name");
    } else if (lutra_status s = ModelFormat(model, &f); s != LUTRA_STATUS_OK) {
      return s;
    }
    std::vector<lutra::chat::Message> m(count);
    for (size_t i = 0; i < count; ++i) {
      if (messages[i].role == nullptr || messages[i].content == nullptr) {
        return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_chat_apply_template: message " +
                                                       std::to_string(i) +
                                                       " has a NULL role or content");
      }
      m[i] = {messages[i].role, messages[i].content};
    }
    std::string text;
    if (lutra::Status s = lutra::chat::Render(f, m, add_generation_prompt != 0, &text); !s.ok()) {
      return Fail(s.failure("lutra_chat_apply_template: "));
    }
    *length = text.size();
    if (capacity < text.size()) {
      return Fail(LUTRA_STATUS_BUFFER_TOO_SMALL,
                  "lutra_chat_apply_template: needs " + std::to_string(text.size()) + " bytes");
    }
    if (!text.empty()) std::memcpy(buf, text.data(), text.size());
    if (capacity > text.size()) buf[text.size()] = '\0';
    lutra::api::ClearError();
    return LUTRA_STATUS_OK;
  });
}

}  // extern "C"
