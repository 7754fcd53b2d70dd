// Which type each tensor of a converted file gets: the --wtype of the run for weight matrices,
// higher precision by default for the token embedding (a table read one row at a time, kept in
// a ggml type) and the output head (4-bit packed), --keep PATTERN=TYPE rules first.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/src/common/status.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/types.h"

namespace lutra::engine::convert {

enum class Method { kRtn, kSearch };

struct Target {
  enum class Kind { kCopy, kGgml, kPacked } kind = Kind::kCopy;
  gguf::TensorType ggml = gguf::TensorType::F32;  // kGgml
  uint32_t bits = 0;                              // kPacked: 1..4 (ternary: 2)
  bool ternary = false;                           // kPacked: BitNet absmean (per tensor)
};

// A type name as --wtype and --keep take it: q1..q4, tq (packed), f32, f16, bf16, q8_0, q4_0,
// tq1_0, tq2_0 (ggml encodings), "source" (bytes copied unchanged).
Expected<Target> ParseTarget(const std::string& name);

struct Rule {
  std::string pattern;  // shell wildcard (fnmatch) over the tensor name
  Target target;
  std::string text;  // as given, for messages
};
// "PATTERN=TYPE"; the last '=' separates (patterns may not contain '=').
Expected<Rule> ParseRule(const std::string& text);

// The target of one tensor: the first matching rule; else 1-D and other non-matrix tensors are
// copied; token_embd.weight keeps its type when that is ≤ 16 bits (F16, BF16, Q8_0, Q4_0),
// else becomes F16; output.weight gets max(4, wtype bits) bits packed; other matrices `wtype`.
Target ChooseTarget(const gguf::TensorInfo& t, const std::vector<Rule>& rules, const Target& wtype);

std::string TargetName(const Target& t);

}  // namespace lutra::engine::convert
