// lutra-bench results and their output formats (markdown table, CSV, JSON, JSON lines, SVG).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/bench/llc.h"

namespace lutra::tools {

struct BenchResult {
  std::string model;  // file name or "synthetic <preset> <wtype>"
  uint64_t model_bytes = 0, n_params = 0;
  std::string isa;  // the --isa cap, "native" when none
  uint32_t threads = 0;
  std::string test;  // "pp64", "tg64"; "tg64 @ d2048" after 2048 tokens of context
  uint32_t n_prompt = 0, n_gen = 0, n_depth = 0;
  uint32_t n_batch = 0;                 // the -b value of a pp test; 0: the model's default
  std::vector<double> samples_ts;       // tokens per second of each repetition
  double bandwidth = 0;                 // measured read bandwidth at this thread count, bytes/s
  uint64_t bandwidth_buffer_bytes = 0;  // the buffer that bandwidth read (bandwidth.cc)
  double bytes_per_token = 0;           // weights + KV read per generated token (tg only)
  // pp: the multiply-adds of a token through the matrices, and the int8 multiply-add rate
  // this CPU reaches at this thread count (lutra_measure_int8_peak) with its loop's name.
  double macs_per_token = 0;
  double int8_peak = 0;
  std::string int8_peak_kernel;
  // Of this (isa, threads) configuration's model: seconds lutra_model_load took with an empty
  // private repack cache (cold) and then with the cache that load wrote (warm), negative when
  // not measured (--no-load-stats); the peak resident bytes of the process that loaded the
  // model and ran its tests.
  double load_cold_s = -1, load_warm_s = -1;
  uint64_t peak_rss = 0;
  double Mean() const;
  double Stddev() const;
  // Bytes/s the mean reaches over the measured bandwidth; negative when not applicable (pp).
  double RooflineFraction() const;
  // Of the int8 peak the prefill's matrix multiply-adds reach; negative when not applicable (tg).
  double Int8Fraction() const;
};

// Each format also carries the machine's last-level cache: a line under the markdown table,
// a column of the CSV, a key of every JSON object.
std::string FormatMarkdown(const std::vector<BenchResult>& r, const LastLevelCache& llc);
std::string FormatCsv(const std::vector<BenchResult>& r, const LastLevelCache& llc);
std::string FormatJson(const std::vector<BenchResult>& r, const LastLevelCache& llc, bool lines);
// tok/s against threads, one line per (isa, test).
std::string FormatSvg(const std::vector<BenchResult>& r);

}  // namespace lutra::tools
