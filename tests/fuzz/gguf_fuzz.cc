// GGUF reader and model planning on arbitrary bytes: parse, read every key in every typed way
// and every tensor's bytes, then load the file as a model (hyperparameters, kernel plan,
// repacking), which must fail cleanly or succeed.
#include <cstddef>
#include <cstdint>

#include "engine/src/gguf/reader.h"
#include "engine/src/models/model.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = lutra::gguf::File::parse(data, size, "fuzz");
  if (!f.ok()) return 0;
  volatile uint64_t sink = 0;
  for (const std::string& k : f->keys()) {
    sink = sink + f->get_count(k).ok() + f->get_f64(k).ok() + f->get_bool(k).ok();
    if (auto s = f->get_string(k); s.ok()) sink = sink + s->size();
    if (auto a = f->get_string_array(k); a.ok()) sink = sink + a->size();
    if (auto a = f->get_f32_array(k); a.ok()) sink = sink + a->size();
    if (auto a = f->get_int_array(k); a.ok()) sink = sink + a->size();
  }
  for (const lutra::gguf::TensorInfo& t : f->tensors()) {
    // Every byte the reader promises must be readable (ASan checks the bounds).
    for (uint64_t i = 0; i < t.n_bytes; i += 4096) sink = sink + t.data[i];
    if (t.n_bytes > 0) sink = sink + t.data[t.n_bytes - 1];
  }
  lutra::fuzz::MemoryFile file(data, size);
  lutra::engine::models::ModelOptions o;
  o.threads = 1;
  o.context_length = 16;
  auto model = lutra::engine::models::Model::Load(file.path(), o);
  if (model.ok()) sink = sink + (*model)->weight_bytes();
  return 0;
}
