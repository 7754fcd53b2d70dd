// lutra-bench results and their output formats (markdown table, CSV, JSON, JSON lines, SVG).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lutra::tools {

struct BenchResult {
  std::string model;  // file name or "synthetic:<preset>:<wtype>"
  uint64_t model_bytes = 0, n_params = 0;
  std::string isa;  // the --isa cap, "native" when none
  uint32_t threads = 0;
  std::string test;  // "pp64", "tg64"; "tg64 @ d2048" after 2048 tokens of context
  uint32_t n_prompt = 0, n_gen = 0, n_depth = 0;
  std::vector<double> samples_ts;  // tokens per second of each repetition
  double bandwidth = 0;            // measured read bandwidth at this thread count, bytes/s
  double bytes_per_token = 0;      // weights + KV read per generated token (tg only)
  double Mean() const;
  double Stddev() const;
  // Bytes/s the mean reaches over the measured bandwidth; negative when not applicable (pp).
  double RooflineFraction() const;
};

std::string FormatMarkdown(const std::vector<BenchResult>& r);
std::string FormatCsv(const std::vector<BenchResult>& r);
std::string FormatJson(const std::vector<BenchResult>& r, bool lines);
// tok/s against threads, one line per (isa, test).
std::string FormatSvg(const std::vector<BenchResult>& r);

}  // namespace lutra::tools
