// lutra_get_cpu_info and the kernel-choice queries.
#include <string>

#include "arch/detect.h"
#include "engine/src/api/handles.h"
#include "engine/src/dispatch/kernel_catalog.h"
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
  if (isa == nullptr || isa[0] == '\0') {
    const lutra::arch::ProcessIsa& process = lutra::arch::Process();
    if (!process.error.empty()) return Fail(LUTRA_STATUS_ISA_UNAVAILABLE, process.error);
    features = process.features;
  } else {
    std::string error;
    // Unlabelled ("neon needs NEON, ..."): the caller knows where its `isa` came from.
    if (!lutra::arch::ApplyIsaCap(lutra::arch::Host().features, isa, &features, &error, "")) {
      return Fail(LUTRA_STATUS_ISA_UNAVAILABLE, error);
    }
  }
  *op = ops[index].op;
  *kernel = ops[index].selected(features);
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

}  // extern "C"
