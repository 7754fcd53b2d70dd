#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace lutra::tools {
namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string Size(uint64_t bytes) {
  return Fixed(double(bytes) / double(1u << 30), 2) + " GiB";
}

// Buffers and resident memory span KiB (a tiny model's step) to GiB: the unit follows.
std::string Bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30)) return Size(bytes);
  if (bytes >= (uint64_t{1} << 20)) return Fixed(double(bytes) / double(1u << 20), 1) + " MiB";
  return Fixed(double(bytes) / 1024.0, 1) + " KiB";
}

// Loads take from well under a millisecond (tiny) to tens of seconds (a 7B model repacked).
std::string Seconds(double s) {
  if (s < 0) return "-";
  return s < 1 ? Fixed(s * 1e3, 2) + " ms" : Fixed(s, 3) + " s";
}

// Optional numbers: empty in CSV, null in JSON.
std::string CsvNumber(double v, bool present) {
  return present ? JsonNumber(v) : "";
}
std::string JsonOptional(double v, bool present) {
  return present ? JsonNumber(v) : "null";
}

std::string LlcLine(const LastLevelCache& llc) {
  if (llc.bytes == 0) return "last-level cache: unknown\n";
  return "last-level cache: " + Bytes(llc.bytes) + " (L" + std::to_string(llc.level) + ")\n";
}

}  // namespace

double BenchResult::Mean() const {
  if (samples_ts.empty()) return 0.0;
  double s = 0.0;
  for (double v : samples_ts) s += v;
  return s / double(samples_ts.size());
}

double BenchResult::Stddev() const {
  if (samples_ts.size() < 2) return 0.0;
  const double m = Mean();
  double s = 0.0;
  for (double v : samples_ts) s += (v - m) * (v - m);
  return std::sqrt(s / double(samples_ts.size() - 1));
}

double BenchResult::RooflineFraction() const {
  if (bytes_per_token <= 0 || bandwidth <= 0) return -1.0;
  return Mean() * bytes_per_token / bandwidth;
}

double BenchResult::Int8Fraction() const {
  if (n_gen != 0 || macs_per_token <= 0 || int8_peak <= 0) return -1.0;
  return Mean() * macs_per_token / int8_peak;
}

// The roofline cell: decode against the read bandwidth, prefill against the int8 peak.
std::string RooflineCell(const BenchResult& r) {
  if (const double f = r.RooflineFraction(); f >= 0) {
    return Fixed(100.0 * f, 1) + "% of " + Fixed(r.bandwidth / 1e9, 1) + " GB/s over " +
           Bytes(r.bandwidth_buffer_bytes);
  }
  if (const double f = r.Int8Fraction(); f >= 0) {
    return Fixed(100.0 * f, 1) + "% of " + Fixed(r.int8_peak / 1e9, 0) + " G int8 MAC/s";
  }
  return "-";
}

std::string FormatMarkdown(const std::vector<BenchResult>& rs, const LastLevelCache& llc) {
  std::ostringstream o;
  o << "| model | size | params | isa | threads | test | t/s | GB/s read | roofline | load cold "
       "| load warm | peak RSS |\n"
    << "| ----- | ---: | -----: | --- | ------: | ---: | --: | --------: | -------: | --------: "
       "| --------: | -------: |\n";
  for (const BenchResult& r : rs) {
    const double f = r.RooflineFraction();
    o << "| " << r.model << " | " << Size(r.model_bytes) << " | "
      << Fixed(double(r.n_params) / 1e9, 2) << " B | " << r.isa << " | " << r.threads << " | "
      << r.test << " | " << Fixed(r.Mean(), 2) << " ± " << Fixed(r.Stddev(), 2) << " | "
      << (f >= 0 ? Fixed(r.Mean() * r.bytes_per_token / 1e9, 1) : "-") << " | " << RooflineCell(r)
      << " | " << Seconds(r.load_cold_s) << " | " << Seconds(r.load_warm_s) << " | "
      << Bytes(r.peak_rss) << " |\n";
  }
  o << '\n' << LlcLine(llc);
  return o.str();
}

std::string FormatCsv(const std::vector<BenchResult>& rs, const LastLevelCache& llc) {
  std::ostringstream o;
  o << "model,model_size,model_n_params,isa,n_threads,test,n_prompt,n_gen,n_depth,avg_ts,"
       "stddev_ts,"
       "bandwidth_bytes_per_s,bytes_per_token,roofline_fraction,bandwidth_buffer_bytes,llc_bytes,"
       "load_cold_s,load_warm_s,peak_rss,macs_per_token,int8_peak_macs_per_s,int8_peak_kernel,"
       "int8_fraction,n_batch\n";
  for (const BenchResult& r : rs) {
    const double f = r.RooflineFraction();
    o << '"' << r.model << "\"," << r.model_bytes << ',' << r.n_params << ',' << r.isa << ','
      << r.threads << ',' << r.test << ',' << r.n_prompt << ',' << r.n_gen << ',' << r.n_depth
      << ',' << JsonNumber(r.Mean()) << ',' << JsonNumber(r.Stddev()) << ','
      << JsonNumber(r.bandwidth) << ',' << (f >= 0 ? JsonNumber(r.bytes_per_token) : "") << ','
      << (f >= 0 ? JsonNumber(f) : "") << ',' << r.bandwidth_buffer_bytes << ','
      << (llc.bytes != 0 ? std::to_string(llc.bytes) : "") << ','
      << CsvNumber(r.load_cold_s, r.load_cold_s >= 0) << ','
      << CsvNumber(r.load_warm_s, r.load_warm_s >= 0) << ',' << r.peak_rss << ','
      << CsvNumber(r.macs_per_token, r.macs_per_token > 0) << ','
      << CsvNumber(r.int8_peak, r.int8_peak > 0) << ',' << r.int8_peak_kernel << ','
      << CsvNumber(r.Int8Fraction(), r.Int8Fraction() >= 0) << ',' << r.n_batch << '\n';
  }
  return o.str();
}

std::string FormatJson(const std::vector<BenchResult>& rs, const LastLevelCache& llc, bool lines) {
  std::ostringstream o;
  if (!lines) o << "[\n";
  for (size_t i = 0; i < rs.size(); ++i) {
    const BenchResult& r = rs[i];
    const double f = r.RooflineFraction();
    o << (lines ? "" : "  ") << "{\"model\": " << JsonString(r.model)
      << ", \"model_size\": " << r.model_bytes << ", \"model_n_params\": " << r.n_params
      << ", \"isa\": " << JsonString(r.isa) << ", \"n_threads\": " << r.threads
      << ", \"test\": " << JsonString(r.test) << ", \"n_prompt\": " << r.n_prompt
      << ", \"n_gen\": " << r.n_gen << ", \"n_depth\": " << r.n_depth
      << ", \"n_batch\": " << r.n_batch << ", \"avg_ts\": " << JsonNumber(r.Mean())
      << ", \"stddev_ts\": " << JsonNumber(r.Stddev()) << ", \"samples_ts\": [";
    for (size_t k = 0; k < r.samples_ts.size(); ++k) {
      o << (k ? ", " : "") << JsonNumber(r.samples_ts[k]);
    }
    o << "], \"bandwidth_bytes_per_s\": " << JsonNumber(r.bandwidth)
      << ", \"bytes_per_token\": " << (f >= 0 ? JsonNumber(r.bytes_per_token) : "null")
      << ", \"roofline_fraction\": " << (f >= 0 ? JsonNumber(f) : "null")
      << ", \"bandwidth_buffer_bytes\": " << r.bandwidth_buffer_bytes
      << ", \"llc_bytes\": " << (llc.bytes != 0 ? std::to_string(llc.bytes) : "null")
      << ", \"load_cold_s\": " << JsonOptional(r.load_cold_s, r.load_cold_s >= 0)
      << ", \"load_warm_s\": " << JsonOptional(r.load_warm_s, r.load_warm_s >= 0)
      << ", \"peak_rss\": " << r.peak_rss
      << ", \"macs_per_token\": " << JsonOptional(r.macs_per_token, r.macs_per_token > 0)
      << ", \"int8_peak_macs_per_s\": " << JsonOptional(r.int8_peak, r.int8_peak > 0)
      << ", \"int8_peak_kernel\": " << JsonString(r.int8_peak_kernel)
      << ", \"int8_fraction\": " << JsonOptional(r.Int8Fraction(), r.Int8Fraction() >= 0) << "}";
    o << (lines ? "\n" : (i + 1 < rs.size() ? ",\n" : "\n"));
  }
  if (!lines) o << "]\n";
  return o.str();
}

std::string FormatSvg(const std::vector<BenchResult>& rs) {
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  double max_t = 1, max_ts = 1;
  for (const BenchResult& r : rs) {
    series[r.isa + " " + r.test].push_back({double(r.threads), r.Mean()});
    max_t = std::max(max_t, double(r.threads));
    max_ts = std::max(max_ts, r.Mean());
  }
  const double w = 640, h = 400, left = 60, bottom = 40, top = 20, right = 160;
  auto x = [&](double t) { return left + (w - left - right) * (t - 1) / std::max(1.0, max_t - 1); };
  auto y = [&](double v) { return h - bottom - (h - bottom - top) * v / (max_ts * 1.1); };
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<line x1=\"" << left << "\" y1=\"" << h - bottom << "\" x2=\"" << w - right << "\" y2=\""
    << h - bottom << "\" stroke=\"black\"/>\n"
    << "<line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\"" << h - bottom
    << "\" stroke=\"black\"/>\n"
    << "<text x=\"" << (w - right + left) / 2 << "\" y=\"" << h - 8
    << "\" text-anchor=\"middle\">threads</text>\n"
    << "<text x=\"14\" y=\"" << (h - bottom + top) / 2 << "\" transform=\"rotate(-90 14 "
    << (h - bottom + top) / 2 << ")\" text-anchor=\"middle\">tokens/s</text>\n";
  for (int t = 1; t <= int(max_t); ++t) {
    o << "<text x=\"" << x(t) << "\" y=\"" << h - bottom + 16 << "\" text-anchor=\"middle\">" << t
      << "</text>\n";
  }
  for (int k = 0; k <= 4; ++k) {
    const double v = max_ts * 1.1 * k / 4;
    o << "<text x=\"" << left - 6 << "\" y=\"" << y(v) + 4 << "\" text-anchor=\"end\">"
      << Fixed(v, 0) << "</text>\n";
  }
  size_t i = 0;
  for (auto& [name, pts] : series) {
    std::sort(pts.begin(), pts.end());
    const char* c = kColors[i % 6];
    o << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"2\" points=\"";
    for (const auto& [t, v] : pts) o << x(t) << ',' << y(v) << ' ';
    o << "\"/>\n";
    for (const auto& [t, v] : pts) {
      o << "<circle cx=\"" << x(t) << "\" cy=\"" << y(v) << "\" r=\"3\" fill=\"" << c << "\"/>\n";
    }
    o << "<text x=\"" << w - right + 10 << "\" y=\"" << top + 16 * (i + 1) << "\" fill=\"" << c
      << "\">" << name << "</text>\n";
    ++i;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace lutra::tools
