#include "engine/src/convert/target.h"

#include <fnmatch.h>

#include <algorithm>

namespace lutra::engine::convert {
namespace {

using gguf::TensorType;

constexpr struct {
  const char* name;
  TensorType type;
} kGgml[] = {{"f32", TensorType::F32},    {"f16", TensorType::F16},   {"bf16", TensorType::BF16},
             {"q8_0", TensorType::Q8_0},  {"q4_0", TensorType::Q4_0}, {"tq1_0", TensorType::TQ1_0},
             {"tq2_0", TensorType::TQ2_0}};

}  // namespace

Expected<Target> ParseTarget(const std::string& name) {
  Target t;
  if (name == "source") return t;
  if (name.size() == 2 && name[0] == 'q' && name[1] >= '1' && name[1] <= '4') {
    t.kind = Target::Kind::kPacked;
    t.bits = uint32_t(name[1] - '0');
    return t;
  }
  if (name == "tq") {
    t.kind = Target::Kind::kPacked;
    t.bits = 2;
    t.ternary = true;
    return t;
  }
  for (const auto& g : kGgml) {
    if (name == g.name) {
      t.kind = Target::Kind::kGgml;
      t.ggml = g.type;
      return t;
    }
  }
  return InvalidArgument(
      "unknown type '" + name +
      "' (packed: q1, q2, q3, q4, tq; ggml: f32, f16, bf16, q8_0, q4_0, tq1_0, tq2_0; "
      "source: unchanged)");
}

Expected<Rule> ParseRule(const std::string& text) {
  const size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return InvalidArgument("--keep '" + text +
                           "': expected PATTERN=TYPE, e.g. 'output.weight=q8_0'");
  }
  auto target = ParseTarget(text.substr(eq + 1));
  if (!target.ok()) return target.failure("--keep '" + text + "': ");
  return Rule{text.substr(0, eq), *target, text};
}

Target ChooseTarget(const gguf::TensorInfo& t, const std::vector<Rule>& rules,
                    const Target& wtype) {
  for (const Rule& r : rules) {
    if (fnmatch(r.pattern.c_str(), t.name.c_str(), 0) == 0) return r.target;
  }
  if (t.shape.size() != 2) return Target{};
  if (t.name == "token_embd.weight") {
    switch (t.type) {
      case TensorType::F16:
      case TensorType::BF16:
      case TensorType::Q8_0:
      case TensorType::Q4_0:
        return Target{};
      default:
        return Target{Target::Kind::kGgml, TensorType::F16, 0, false};
    }
  }
  if (t.name == "output.weight") {
    Target out = wtype;
    if (out.kind == Target::Kind::kPacked && (out.ternary || out.bits < 4)) {
      out = Target{Target::Kind::kPacked, TensorType::F32, 4, false};
    }
    return out;
  }
  return wtype;
}

std::string TargetName(const Target& t) {
  switch (t.kind) {
    case Target::Kind::kCopy:
      return "source";
    case Target::Kind::kPacked:
      if (t.ternary) return "tq";
      {
        std::string name(1, 'q');  // GCC 12 warns falsely about "q" + std::string
        name += char('0' + t.bits);
        return name;
      }
    case Target::Kind::kGgml:
      for (const auto& g : kGgml) {
        if (g.type == t.ggml) return g.name;
      }
  }
  return "?";
}

}  // namespace lutra::engine::convert
