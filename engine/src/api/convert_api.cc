// lutra_convert: the C entry to the converter (engine/src/convert), used by lutra-convert.
#include <algorithm>
#include <string>

#include "arch/detect.h"
#include "engine/src/api/error.h"
#include "engine/src/convert/convert.h"
#include "engine/src/gguf/output_path.h"
#include "lutra/lutra.h"

namespace {

namespace convert = lutra::engine::convert;

size_t DefaultThreads() {
  return std::max<uint32_t>(1, lutra::arch::Host().performance_cores);
}

// The C options to the converter's; INVALID_ARGUMENT (message set) when they are malformed.
lutra_status Translate(const lutra_convert_options* o, const char* function,
                       convert::Options* opt) {
  using lutra::api::Fail;
  if (o->struct_size != sizeof(lutra_convert_options)) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, std::string(function) + ": options.struct_size is " +
                                                   std::to_string(o->struct_size) + ", expected " +
                                                   std::to_string(sizeof(lutra_convert_options)) +
                                                   " (call lutra_convert_options_init)");
  }
  if (o->n_keep > 0 && o->keep == nullptr) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                std::string(function) + ": keep is NULL with n_keep > 0");
  }
  opt->wtype = o->wtype ? o->wtype : "q2";
  opt->group = o->group;
  opt->asymmetric = o->asymmetric != 0;
  const std::string method = o->method ? o->method : "search";
  if (method == "search") {
    opt->method = convert::Method::kSearch;
  } else if (method == "rtn") {
    opt->method = convert::Method::kRtn;
  } else {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                std::string(function) + ": unknown method '" + method + "' (known: rtn, search)");
  }
  opt->outlier_fraction = o->outlier_fraction;
  for (size_t i = 0; i < o->n_keep; ++i) {
    if (o->keep[i] == nullptr) {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT, std::string(function) + ": keep[i] is NULL");
    }
    opt->keep.emplace_back(o->keep[i]);
  }
  opt->threads = o->threads != 0 ? o->threads : DefaultThreads();
  return LUTRA_STATUS_OK;
}

lutra_status Check(const char* output, const lutra_convert_options* o) {
  using lutra::api::Fail;
  lutra_convert_options defaults;
  lutra_convert_options_init(&defaults);
  if (o == nullptr) o = &defaults;
  convert::Options opt;
  if (lutra_status s = Translate(o, "lutra_convert_check", &opt); s != LUTRA_STATUS_OK) return s;
  if (lutra::Status s = convert::CheckOptions(opt); !s.ok()) return Fail(s.failure());
  if (output != nullptr) {
    if (*output == '\0') {
      return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_convert_check: output path is empty");
    }
    if (auto target = lutra::gguf::ResolveOutputPath(output); !target.ok()) {
      return Fail(target.failure());
    }
  }
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

lutra_status Run(const char* input, const char* output, const lutra_convert_options* o,
                 lutra_convert_summary* summary) {
  using lutra::api::Fail;
  if (input == nullptr || *input == '\0' || output == nullptr || *output == '\0') {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "lutra_convert: input or output path is NULL or empty");
  }
  lutra_convert_options defaults;
  lutra_convert_options_init(&defaults);
  if (o == nullptr) o = &defaults;
  convert::Options opt;
  if (lutra_status s = Translate(o, "lutra_convert", &opt); s != LUTRA_STATUS_OK) return s;

  convert::Callbacks cb;
  if (o->on_tensor) {
    cb.on_tensor = [o](const convert::TensorReport& r) {
      lutra_convert_tensor_report c{};
      c.index = r.index;
      c.count = r.count;
      c.name = r.name.c_str();
      c.source_type = r.source_type.c_str();
      c.target_type = r.target_type.c_str();
      c.elements = r.elements;
      c.bytes = r.bytes;
      c.bits_per_weight = r.bits_per_weight;
      c.relative_error = r.relative_error;
      c.seconds = r.seconds;
      c.quantized = r.quantized ? 1 : 0;
      c.lossless = r.lossless ? 1 : 0;
      o->on_tensor(&c, o->user_data);
    };
  }
  if (o->progress) cb.progress = [o](double f) { o->progress(float(f), o->user_data); };
  if (o->should_stop) cb.should_stop = [o] { return o->should_stop(o->user_data) != 0; };

  convert::Summary s;
  lutra::Status st = convert::Convert(input, output, opt, cb, &s);
  if (summary != nullptr) {
    *summary = lutra_convert_summary{};
    summary->tensors = s.tensors;
    summary->elements = s.elements;
    summary->bytes = s.bytes;
    summary->quantized_elements = s.quantized_elements;
    summary->quantized_bytes = s.quantized_bytes;
    summary->bits_per_weight =
        s.quantized_elements ? double(s.quantized_bytes) * 8.0 / double(s.quantized_elements) : 0.0;
    summary->relative_error = s.squared_norm > 0.0 ? s.squared_error / s.squared_norm : 0.0;
    summary->seconds = s.seconds;
    summary->stopped = s.stopped ? 1 : 0;
  }
  if (!st.ok()) return Fail(st.failure());
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

}  // namespace

extern "C" {

void lutra_convert_options_init(lutra_convert_options* options) {
  if (options == nullptr) return;
  *options = lutra_convert_options{};
  options->struct_size = sizeof(lutra_convert_options);
  options->wtype = "q2";
  options->group = 64;
  options->method = "search";
}

lutra_status lutra_convert_check(const char* output, const lutra_convert_options* options) {
  try {
    return Check(output, options);
  } catch (const std::bad_alloc&) {
    return lutra::api::Fail(LUTRA_STATUS_OUT_OF_MEMORY, "lutra_convert_check: out of memory");
  } catch (...) {
    return lutra::api::Fail(LUTRA_STATUS_INTERNAL, "lutra_convert_check: internal error");
  }
}

lutra_status lutra_convert(const char* input, const char* output,
                           const lutra_convert_options* options, lutra_convert_summary* summary) {
  try {
    return Run(input, output, options, summary);
  } catch (const std::bad_alloc&) {
    return lutra::api::Fail(LUTRA_STATUS_OUT_OF_MEMORY, "lutra_convert: out of memory");
  } catch (...) {
    return lutra::api::Fail(LUTRA_STATUS_INTERNAL, "lutra_convert: internal error");
  }
}

}  // extern "C"
