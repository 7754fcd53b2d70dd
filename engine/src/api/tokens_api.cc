// lutra_tokenize / lutra_token_to_piece / lutra_detokenize.
#include <cstring>
#include <string>
#include <vector>

#include "engine/src/api/handles.h"

namespace {

using lutra::api::Fail;

lutra_status TokenizerOf(const lutra_model* model, const char* function,
                         const lutra::Tokenizer** out) {
  if (model == nullptr) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, std::string(function) + ": model is NULL");
  }
  *out = model->model->tokenizer();
  if (*out == nullptr) {
    return Fail(LUTRA_STATUS_UNSUPPORTED, std::string(function) + ": the model has no usable " +
                                              "tokenizer: " + model->model->tokenizer_error());
  }
  return LUTRA_STATUS_OK;
}

// Copies bytes (plus a NUL when there is room) or reports the size needed.
lutra_status PutBytes(const std::string& bytes, char* buf, size_t capacity, size_t* length,
                      const char* function) {
  if (length == nullptr) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, std::string(function) + ": length is NULL");
  }
  *length = bytes.size();
  if (capacity < bytes.size() || (capacity > 0 && buf == nullptr)) {
    if (buf == nullptr && capacity > 0) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT, std::string(function) + ": buf is NULL");
    }
    return Fail(LUTRA_STATUS_BUFFER_TOO_SMALL,
                std::string(function) + ": needs " + std::to_string(bytes.size()) + " bytes");
  }
  if (!bytes.empty()) std::memcpy(buf, bytes.data(), bytes.size());
  if (capacity > bytes.size()) buf[bytes.size()] = '\0';
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

bool ValidToken(const lutra::Tokenizer* tok, int32_t id) {
  return id >= 0 && size_t(id) < tok->vocab_size();
}

}  // namespace

extern "C" {

lutra_status lutra_tokenize(const lutra_model* model, const char* text, size_t length, int add_bos,
                            int parse_special, int32_t* tokens, size_t capacity, size_t* count) {
  return lutra::api::GuardModel(model, "lutra_tokenize", [&] {
    const lutra::Tokenizer* tok = nullptr;
    if (lutra_status s = TokenizerOf(model, "lutra_tokenize", &tok); s != LUTRA_STATUS_OK) {
      return s;
    }
    if ((text == nullptr && length > 0) || count == nullptr || (tokens == nullptr && capacity)) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_tokenize: text, tokens or count is NULL");
    }
    lutra::EncodeOptions eo;
    eo.add_bos = add_bos != 0;
    eo.parse_special = parse_special != 0;
    const std::vector<int32_t> ids =
        tok->encode(std::string_view(text != nullptr ? text : "", length), eo);
    *count = ids.size();
    if (capacity < ids.size()) {
      return Fail(LUTRA_STATUS_BUFFER_TOO_SMALL,
                  "lutra_tokenize: needs room for " + std::to_string(ids.size()) + " tokens");
    }
    if (!ids.empty()) std::memcpy(tokens, ids.data(), ids.size() * sizeof(int32_t));
    lutra::api::ClearError();
    return LUTRA_STATUS_OK;
  });
}

lutra_status lutra_token_to_piece(const lutra_model* model, int32_t token, char* buf,
                                  size_t capacity, size_t* length) {
  return lutra::api::GuardModel(model, "lutra_token_to_piece", [&] {
    const lutra::Tokenizer* tok = nullptr;
    if (lutra_status s = TokenizerOf(model, "lutra_token_to_piece", &tok); s != LUTRA_STATUS_OK) {
      return s;
    }
    if (!ValidToken(tok, token)) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                  "lutra_token_to_piece: token " + std::to_string(token) + " is outside the " +
                      "vocabulary (0.." + std::to_string(tok->vocab_size() - 1) + ")");
    }
    return PutBytes(tok->token_bytes(token), buf, capacity, length, "lutra_token_to_piece");
  });
}

lutra_status lutra_detokenize(const lutra_model* model, const int32_t* tokens, size_t count,
                              char* buf, size_t capacity, size_t* length) {
  return lutra::api::GuardModel(model, "lutra_detokenize", [&] {
    const lutra::Tokenizer* tok = nullptr;
    if (lutra_status s = TokenizerOf(model, "lutra_detokenize", &tok); s != LUTRA_STATUS_OK) {
      return s;
    }
    if (tokens == nullptr && count > 0) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_detokenize: tokens is NULL");
    }
    std::vector<int32_t> ids(tokens, tokens + count);
    for (size_t i = 0; i < count; ++i) {
      if (!ValidToken(tok, ids[i])) {
        return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                    "lutra_detokenize: token " + std::to_string(ids[i]) + " at index " +
                        std::to_string(i) + " is outside the vocabulary");
      }
    }
    return PutBytes(tok->decode(ids), buf, capacity, length, "lutra_detokenize");
  });
}

lutra_status lutra_tokenize_lost_bytes(const lutra_model* model, const char* text, size_t length,
                                       size_t* count) {
  return lutra::api::GuardModel(model, "lutra_tokenize_lost_bytes", [&] {
    const lutra::Tokenizer* tok = nullptr;
    if (lutra_status s = TokenizerOf(model, "lutra_tokenize_lost_bytes", &tok);
        s != LUTRA_STATUS_OK) {
      return s;
    }
    if ((text == nullptr && length > 0) || count == nullptr) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                  "lutra_tokenize_lost_bytes: text or count is NULL");
    }
    *count = length == 0 ? 0 : tok->unrepresentable_bytes(std::string_view(text, length));
    lutra::api::ClearError();
    return LUTRA_STATUS_OK;
  });
}

}  // extern "C"
