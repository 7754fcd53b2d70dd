// lutra_get_cpu_info, the kernel-choice queries and the int8 peak measurement.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "arch/detect.h"
#include "engine/src/api/handles.h"
#include "engine/src/dispatch/kernel_catalog.h"
#include "kernels/peak/peak.h"
#include "lutra/lutra.h"

namespace {

// Strings handed out through the C API live as long as the process.
struct CpuStrings {
  std::string features, compiled, active;
};

const CpuStrings& Strings() {
  static const CpuStrings strings = [] {
    using namespace lutra::arch;
    CpuStrings s;
    s.features = FeatureNames(Host().features);
    const IsaSet compiled = CompiledFeatures();
    s.compiled = "scalar";
    for (const IsaLevel& level : kIsaLevels) {
      if (level.features != 0 && Supports(compiled, level.features)) {
        s.compiled += ' ';
        s.compiled += level.name;
      }
    }
    s.active = FeatureNames(Process().features);
    return s;
  }();
  return strings;
}

lutra_status GetCpuInfo(lutra_cpu_info* info) {
  using lutra::api::Fail;
  if (info == nullptr)
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_get_cpu_info: info is NULL");
  if (info->struct_size < sizeof(lutra_cpu_info)) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "lutra_get_cpu_info: struct_size " + std::to_string(info->struct_size) +
                    " is smaller than this library's lutra_cpu_info (" +
                    std::to_string(sizeof(lutra_cpu_info)) + "); call lutra_cpu_info_init");
  }
  const lutra::arch::HostCpu& host = lutra::arch::Host();
  const lutra::arch::ProcessIsa& process = lutra::arch::Process();
  const CpuStrings& s = Strings();
  info->name = host.name.c_str();
  info->features = s.features.c_str();
  info->compiled_levels = s.compiled.c_str();
  info->isa_cap = process.cap.c_str();
  info->active_features = s.active.c_str();
  info->cores = host.cores;
  info->performance_cores = host.performance_cores;
  info->rvv_vlen_bits = host.rvv_vlenb * 8;
  info->l1d_bytes = host.l1d_bytes;
  info->l2_bytes = host.l2_bytes;
  info->l3_bytes = host.l3_bytes;
  if (!process.error.empty()) return Fail(LUTRA_STATUS_ISA_UNAVAILABLE, process.error);
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

// The features of ISA cap `isa` (NULL, "" or "native": the process's); ISA_UNAVAILABLE with
// the reason set as the last error.
lutra_status FeaturesOf(const char* isa, lutra::arch::IsaSet* features) {
  using lutra::api::Fail;
  if (isa == nullptr || isa[0] == '\0') {
    const lutra::arch::ProcessIsa& process = lutra::arch::Process();
    if (!process.error.empty()) return Fail(LUTRA_STATUS_ISA_UNAVAILABLE, process.error);
    *features = process.features;
    return LUTRA_STATUS_OK;
  }
  std::string error;
  // Unlabelled ("neon needs NEON, ..."): the caller knows where its `isa` came from.
  if (!lutra::arch::ApplyIsaCap(lutra::arch::Host().features, isa, features, &error, "")) {
    return Fail(LUTRA_STATUS_ISA_UNAVAILABLE, error);
  }
  return LUTRA_STATUS_OK;
}

lutra_status KernelChoice(size_t index, const char* isa, const char** op, const char** kernel) {
  using lutra::api::Fail;
  const auto ops = lutra::engine::KernelOps();
  if (op == nullptr || kernel == nullptr) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_kernel_choice: op or kernel is NULL");
  }
  if (index >= ops.size()) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_kernel_choice: index " +
                                                   std::to_string(index) + " >= op count " +
                                                   std::to_string(ops.size()));
  }
  lutra::arch::IsaSet features = 0;
  if (lutra_status s = FeaturesOf(isa, &features); s != LUTRA_STATUS_OK) return s;
  *op = ops[index].op;
  *kernel = ops[index].selected(features);
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

// Seconds one timed run of the peak loop lasts: long enough that thread start-up and clock
// reads do not count, short enough for a test under emulation.
constexpr double kPeakRunSeconds = 0.004;
constexpr int kPeakRuns = 4;

double Elapsed(std::chrono::steady_clock::time_point from,
               std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

lutra_status MeasureInt8Peak(uint32_t threads, const char* isa, double* macs_per_s,
                             const char** kernel) {
  using lutra::api::Fail;
  if (macs_per_s == nullptr) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "lutra_measure_int8_peak: macs_per_s is NULL");
  }
  if (threads == 0 || threads > 4096) {
    return Fail(LUTRA_STATUS_INVALID_ARGUMENT,
                "lutra_measure_int8_peak: threads is " + std::to_string(threads));
  }
  lutra::arch::IsaSet features = 0;
  if (lutra_status s = FeaturesOf(isa, &features); s != LUTRA_STATUS_OK) return s;
  const auto* k = lutra::kernels::peak::SelectInt8Dot(features);
  const int8_t ones[64] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                           1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                           1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  using Clock = std::chrono::steady_clock;
  std::atomic<bool> bad{false};
  auto run = [&](uint64_t iterations) {
    if (k->fn(ones, ones, iterations) != int64_t(iterations) * int64_t(k->unroll)) bad = true;
  };
  // Iterations for one run of kPeakRunSeconds, from a calibration on this thread.
  uint64_t iterations = 1 << 8;
  for (;;) {
    const auto t0 = Clock::now();
    run(iterations);
    const double s = Elapsed(t0, Clock::now());
    if (s >= kPeakRunSeconds / 8 || iterations >= (uint64_t{1} << 40)) {
      iterations =
          std::max<uint64_t>(1, uint64_t(double(iterations) * kPeakRunSeconds / std::max(s, 1e-9)));
      break;
    }
    iterations *= 4;
  }
  // Every run starts on all threads together (a barrier), so the threads share the core's
  // units as prefill's threads do; a run's rate is all threads' multiply-adds over the time
  // from the first start to the last end. The best run counts (clocks ramp up at first).
  std::vector<Clock::time_point> start(threads), end(threads);
  std::barrier<> sync{std::ptrdiff_t(threads)};
  double best = 0;
  auto work = [&](uint32_t t) {
    for (int r = 0; r < kPeakRuns; ++r) {
      sync.arrive_and_wait();
      start[t] = Clock::now();
      run(iterations);
      end[t] = Clock::now();
      sync.arrive_and_wait();
      if (t == 0) {
        const auto first = *std::min_element(start.begin(), start.end());
        const auto last = *std::max_element(end.begin(), end.end());
        const double s = Elapsed(first, last);
        if (s > 0) best = std::max(best, double(threads) * double(iterations) * k->unroll / s);
      }
    }
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& th : pool) th.join();
  if (bad) {
    return Fail(LUTRA_STATUS_INTERNAL,
                std::string("lutra_measure_int8_peak: ") + k->name + " computed a wrong sum");
  }
  *macs_per_s = best;
  if (kernel != nullptr) *kernel = k->name;
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

}  // namespace

extern "C" {

void lutra_cpu_info_init(lutra_cpu_info* info) {
  if (info == nullptr) return;
  *info = lutra_cpu_info{};
  info->struct_size = sizeof(lutra_cpu_info);
}

lutra_status lutra_get_cpu_info(lutra_cpu_info* info) {
  return lutra::api::Guard("lutra_get_cpu_info", [&] { return GetCpuInfo(info); });
}

size_t lutra_kernel_op_count(void) {
  return lutra::engine::KernelOps().size();
}

lutra_status lutra_kernel_choice(size_t index, const char* isa, const char** op,
                                 const char** kernel) {
  return lutra::api::Guard("lutra_kernel_choice",
                           [&] { return KernelChoice(index, isa, op, kernel); });
}

lutra_status lutra_measure_int8_peak(uint32_t threads, const char* isa, double* macs_per_s,
                                     const char** kernel) {
  return lutra::api::Guard("lutra_measure_int8_peak",
                           [&] { return MeasureInt8Peak(threads, isa, macs_per_s, kernel); });
}

}  // extern "C"
