#include "engine/src/convert/metadata.h"

#include <string>
#include <vector>

namespace lutra::engine::convert {

Status CopyMetadata(const gguf::File& in, gguf::Writer* out) {
  using gguf::ValueType;
  for (const std::string& key : in.keys()) {
    // The converter decides these anew; copying them would describe the input, not the output
    // (and a lutra-written input would carry its lutra.convert.* set twice).
    if (key == "general.alignment" || key.rfind("lutra.packing.", 0) == 0 ||
        key.rfind("lutra.convert.", 0) == 0) {
      continue;
    }
    const gguf::Value& v = *in.find(key);
    switch (v.type) {
      case ValueType::U8:
        out->set_u8(key, uint8_t(v.bits));
        break;
      case ValueType::I8:
        out->set_i8(key, int8_t(v.bits));
        break;
      case ValueType::U16:
        out->set_u16(key, uint16_t(v.bits));
        break;
      case ValueType::I16:
        out->set_i16(key, int16_t(v.bits));
        break;
      case ValueType::U32:
        out->set_u32(key, uint32_t(v.bits));
        break;
      case ValueType::I32:
        out->set_i32(key, int32_t(v.bits));
        break;
      case ValueType::U64:
        out->set_u64(key, v.bits);
        break;
      case ValueType::I64:
        out->set_i64(key, int64_t(v.bits));
        break;
      case ValueType::F32:
        out->set_f32(key, float(v.real));
        break;
      case ValueType::F64:
        out->set_f64(key, v.real);
        break;
      case ValueType::Bool:
        out->set_bool(key, v.bits != 0);
        break;
      case ValueType::String:
        out->set_string(key, v.str);
        break;
      case ValueType::Array:
        if (v.elem_type == ValueType::String) {
          out->set_string_array(key, std::vector<std::string>(v.strings.begin(), v.strings.end()));
        } else if (gguf::value_type_size(uint32_t(v.elem_type)) != 0) {
          out->set_array(key, v.elem_type, v.raw, v.count);
        } else {
          return InvalidModel("key '" + key + "': arrays of arrays are not supported");
        }
        break;
      default:
        return InvalidModel("key '" + key + "': unknown value type");
    }
  }
  return Status::Ok();
}

}  // namespace lutra::engine::convert
