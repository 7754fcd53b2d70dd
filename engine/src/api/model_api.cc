// lutra_model_load / _free / _get_info.
#include <sys/stat.h>

#include <cstring>
#include <string>

#include "arch/detect.h"
#include "engine/src/api/handles.h"

namespace {

using lutra::api::Fail;

lutra_status Load(const char* path, const lutra_model_options* o, lutra_model** out) {
  if (out == nullptr) return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_model_load: model is NULL");
  *out = nullptr;
  if (path == nullptr || *path == '\0') {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_model_load: path is NULL or empty");
  }
  lutra_model_options defaults;
  lutra_model_options_init(&defaults);
  if (o == nullptr) o = &defaults;
  if (!lutra::api::CheckStructSize(o, "options", "lutra_model_load")) {
    return LUTRA_STATUS_INVALID_ARGUMENT;
  }
  if (o->threads > 1024) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_model_load: threads " +
                                                   std::to_string(o->threads) +
                                                   " is out of range (0 = automatic, 1..1024)");
  }
  // A C caller can store any int in the enum field; it is read as an integer, since loading an
  // out-of-range value as the C++ enum type is undefined behaviour.
  static_assert(sizeof(lutra_kv_type) == sizeof(int), "C enums are int-sized on our targets");
  int kv_type;
  std::memcpy(&kv_type, &o->kv_type, sizeof kv_type);
  if (kv_type != LUTRA_KV_F16 && kv_type != LUTRA_KV_F32 && kv_type != LUTRA_KV_BF16) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "lutra_model_load: unknown kv_type " + std::to_string(kv_type));
  }
  if (o->batch == 0) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_model_load: batch must be at least 1");
  }
  lutra::engine::models::ModelOptions mo;
  mo.threads = o->threads;
  mo.isa_cap = o->isa != nullptr ? o->isa : "";
  mo.context_length = o->context_length;
  using lutra::engine::attention::KvType;
  mo.kv_type = o->kv_type == LUTRA_KV_F32    ? KvType::kF32
               : o->kv_type == LUTRA_KV_BF16 ? KvType::kBf16
                                             : KvType::kF16;
  mo.batch = o->batch;
  mo.use_mmap = o->use_mmap != 0;
  mo.vocab_only = o->vocab_only != 0;
  if (o->progress != nullptr) {
    auto* fn = o->progress;
    void* user = o->progress_user_data;
    mo.progress = [fn, user](double f) { fn(float(f), user); };
  }
  if (o->cache != LUTRA_CACHE_DEFAULT && o->cache != LUTRA_CACHE_OFF &&
      o->cache != LUTRA_CACHE_ON) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "lutra_model_load: cache must be LUTRA_CACHE_DEFAULT, _OFF or _ON, not " +
                    std::to_string(o->cache));
  }
  mo.cache.enabled = o->cache == LUTRA_CACHE_ON ||
                     (o->cache == LUTRA_CACHE_DEFAULT && !lutra::api::CacheDisabledByEnvironment());
  mo.cache.dir = o->cache_dir != nullptr ? o->cache_dir : "";
  mo.repack_q4_k = o->repack_q4_k != 0;
  auto model = lutra::engine::models::Model::Load(path, mo);
  if (!model.ok()) return Fail(model.failure());

  auto m = std::make_unique<lutra_model>();
  m->model = std::move(*model);
  const lutra::gguf::File& f = m->model->file();
  if (auto a = f.get_string("general.architecture"); a.ok()) m->arch = std::string(*a);
  if (auto n = f.get_string("general.name"); n.ok()) m->name = std::string(*n);
  if (auto t = f.get_string("tokenizer.chat_template"); t.ok()) {
    m->chat_template = std::string(*t);
    m->has_chat_template = true;
  }
  for (const lutra::gguf::TensorInfo& t : f.tensors()) m->n_params += t.n_elements;
  struct stat st {};
  if (::stat(path, &st) == 0) m->file_bytes = uint64_t(st.st_size);
  if (o->progress != nullptr) o->progress(1.0f, o->progress_user_data);
  *out = m.release();
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

}  // namespace

extern "C" {

void lutra_model_options_init(lutra_model_options* o) {
  if (o == nullptr) return;
  *o = lutra_model_options{};
  o->struct_size = sizeof *o;
  o->use_mmap = 1;
  o->kv_type = LUTRA_KV_F16;
  o->batch = 64;
  o->cache = LUTRA_CACHE_DEFAULT;
}

lutra_status lutra_model_load(const char* path, const lutra_model_options* options,
                              lutra_model** model) {
  return lutra::api::Guard("lutra_model_load", [&] { return Load(path, options, model); });
}

void lutra_model_free(lutra_model* model) {
  delete model;
}

void lutra_model_info_init(lutra_model_info* info) {
  if (info == nullptr) return;
  *info = lutra_model_info{};
  info->struct_size = sizeof *info;
  info->bos = info->eos = -1;
  info->cache_path = "";
  info->cache_warning = "";
}

const char* lutra_model_last_error(const lutra_model* model) {
  if (model == nullptr) return "";
  std::lock_guard<std::mutex> lock(model->error_mutex);
  return model->last_error.c_str();
}

lutra_status lutra_model_get_info(const lutra_model* model, lutra_model_info* info) {
  return lutra::api::GuardModel(model, "lutra_model_get_info", [&] {
    if (model == nullptr || info == nullptr) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_model_get_info: model or info is NULL");
    }
    if (!lutra::api::CheckStructSize(info, "info", "lutra_model_get_info")) {
      return LUTRA_STATUS_INVALID_ARGUMENT;
    }
    const auto& m = *model->model;
    const auto& hp = m.hparams();
    info->arch = model->arch.c_str();
    info->name = model->name.c_str();
    info->chat_template = model->has_chat_template ? model->chat_template.c_str() : nullptr;
    info->n_params = model->n_params;
    info->file_bytes = model->file_bytes;
    info->weight_bytes = m.weight_bytes();
    info->decode_bytes = m.streamed_weight_bytes();
    info->matmul_weights = m.matmul_weights();
    info->head_dim = uint32_t(hp.head_dim);
    info->n_layer = uint32_t(hp.n_layer);
    info->n_embd = uint32_t(hp.n_embd);
    info->n_head = uint32_t(hp.n_head);
    info->n_head_kv = uint32_t(hp.n_head_kv);
    info->n_ff = uint32_t(hp.n_ff);
    info->n_vocab = uint32_t(hp.n_vocab);
    info->context_length = uint32_t(m.context_length());
    info->train_context_length = uint32_t(hp.n_ctx_train);
    info->sliding_window = uint32_t(hp.sliding_window);
    info->n_layer_sliding = 0;
    for (bool sliding : hp.sliding_layers) info->n_layer_sliding += sliding ? 1 : 0;
    if (hp.sliding_window == 0) info->n_layer_sliding = 0;
    const lutra::Tokenizer* tok = m.tokenizer();
    info->bos = tok != nullptr ? tok->bos() : -1;
    info->eos = tok != nullptr ? tok->eos() : -1;
    info->threads = uint32_t(m.options().threads != 0 ? m.options().threads
                                                      : lutra::arch::Host().performance_cores);
    info->vocab_only = m.vocab_only() ? 1 : 0;
    using lutra::engine::cache::CacheResult;
    switch (m.cache_result()) {
      case CacheResult::kUnused:
        info->cache_result = LUTRA_CACHE_UNUSED;
        break;
      case CacheResult::kHit:
        info->cache_result = LUTRA_CACHE_HIT;
        break;
      case CacheResult::kWritten:
        info->cache_result = LUTRA_CACHE_WRITTEN;
        break;
      case CacheResult::kFailed:
        info->cache_result = LUTRA_CACHE_FAILED;
        break;
    }
    info->cache_path = m.cache_path().c_str();
    info->cache_warning = m.cache_warning().c_str();
    lutra::api::ClearError();
    return LUTRA_STATUS_OK;
  });
}

}  // extern "C"
