#include "arch/detect.h"

#include <cpuinfo.h>

#include <cstdlib>
#include <mutex>

#if defined(__linux__) && (defined(__aarch64__) || defined(__riscv))
#include <sys/auxv.h>
#endif

namespace lutra::arch {
namespace {

IsaSet DetectX86Features() {
  IsaSet f = 0;
#if defined(__x86_64__) || defined(__i386__)
  // cpuinfo checks both CPUID and the OS's XSAVE state (XCR0), so AVX-512 is only reported
  // when the kernel saves the ZMM registers.
  if (cpuinfo_has_x86_ssse3()) f |= kSSSE3;
  if (cpuinfo_has_x86_avx2()) f |= kAVX2;
  if (cpuinfo_has_x86_fma3()) f |= kFMA;
  if (cpuinfo_has_x86_f16c()) f |= kF16C;
  if (cpuinfo_has_x86_avx512f()) f |= kAVX512F;
  if (cpuinfo_has_x86_avx512bw()) f |= kAVX512BW;
  if (cpuinfo_has_x86_avx512vl()) f |= kAVX512VL;
  if (cpuinfo_has_x86_avx512dq()) f |= kAVX512DQ;
  if (cpuinfo_has_x86_avx512vbmi()) f |= kAVX512VBMI;
  if (cpuinfo_has_x86_avx512vnni()) f |= kAVX512VNNI;
  if (cpuinfo_has_x86_avx512bf16()) f |= kAVX512BF16;
#endif
  return f;
}

IsaSet DetectArmFeatures() {
  IsaSet f = 0;
#if defined(__aarch64__) || defined(__arm__)
  if (cpuinfo_has_arm_neon()) f |= kNEON;
  if (cpuinfo_has_arm_neon_fp16_arith()) f |= kNEONFP16;
  if (cpuinfo_has_arm_neon_dot()) f |= kDOTPROD;
  if (cpuinfo_has_arm_sve()) f |= kSVE;
#if defined(__linux__) && defined(__aarch64__)
  // Older cpuinfo releases (Debian 12) do not know i8mm; the kernel's hwcap is authoritative.
  constexpr unsigned long kHwcap2I8mm = 1ul << 13;
  if (getauxval(AT_HWCAP2) & kHwcap2I8mm) f |= kI8MM;
#endif
#endif
  return f;
}

#if defined(__riscv)
uint32_t ReadVlenb() {
  // CSR 0xC22 is vlenb; the numeric form assembles without the V extension in -march, and
  // this is only called after the kernel reported V, so it cannot trap.
  unsigned long vlenb = 0;
  __asm__ volatile("csrr %0, 0xc22" : "=r"(vlenb));
  return static_cast<uint32_t>(vlenb);
}
#endif

IsaSet DetectRiscvFeatures(uint32_t* vlenb) {
  IsaSet f = 0;
  *vlenb = 0;
#if defined(__riscv) && defined(__linux__)
  // Debian 12's cpuinfo does not know RISC-V at all, so use the kernel's single-letter hwcap
  // bits: Linux sets bit 'V' - 'A' only when the core has V and the kernel manages vector
  // state (6.5+), i.e. exactly when vector instructions are safe. qemu-user 7.2 reports it the
  // same way (v=true: set, with vlenb 16/32 at VLEN 128/256; v=false: clear), which
  // scripts/test.sh checks through lutra-sysinfo.
  const unsigned long hwcap = getauxval(AT_HWCAP);
  if (hwcap & (1ul << ('V' - 'A'))) {
    f |= kRVV;
    *vlenb = ReadVlenb();
  }
#endif
  return f;
}

void FillCaches(HostCpu* cpu) {
  if (cpuinfo_get_l1d_caches_count() > 0) cpu->l1d_bytes = cpuinfo_get_l1d_cache(0)->size;
  if (cpuinfo_get_l2_caches_count() > 0) cpu->l2_bytes = cpuinfo_get_l2_cache(0)->size;
  for (uint32_t i = 0; i < cpuinfo_get_l3_caches_count(); ++i) {
    const size_t size = cpuinfo_get_l3_cache(i)->size;
    if (size > cpu->l3_bytes) cpu->l3_bytes = size;
  }
}

void FillCores(HostCpu* cpu) {
  cpu->cores = cpuinfo_get_cores_count() > 0 ? cpuinfo_get_cores_count() : 1;
  // cpuinfo lists micro-architectures fastest first; on big.LITTLE parts the first one holds
  // the performance cores, which is the sensible default thread count.
  cpu->performance_cores = cpu->cores;
  if (cpuinfo_get_uarchs_count() > 1) cpu->performance_cores = cpuinfo_get_uarch(0)->core_count;
  if (cpu->performance_cores == 0) cpu->performance_cores = 1;
}

HostCpu DetectHost() {
  HostCpu cpu;
  uint32_t vlenb = 0;
  const IsaSet riscv = DetectRiscvFeatures(&vlenb);
  cpu.rvv_vlenb = vlenb;
#if defined(__riscv)
  cpu.name = "riscv64";
#endif
  if (cpuinfo_initialize()) {
    cpu.detected = true;
    cpu.features = DetectX86Features() | DetectArmFeatures();
    const cpuinfo_package* package = cpuinfo_get_package(0);
    if (package != nullptr && package->name[0] != '\0') cpu.name = package->name;
    FillCaches(&cpu);
    FillCores(&cpu);
  }
#if defined(__riscv)
  cpu.detected = true;  // hwcap is enough on RISC-V even where cpuinfo is unaware of it
#endif
  cpu.features |= riscv;
#if defined(__aarch64__)
  cpu.features |= kNEON;  // Advanced SIMD is mandatory in AArch64
#endif
  if (cpu.name.empty()) {
#if defined(__x86_64__)
    cpu.name = "x86-64";
#elif defined(__aarch64__)
    cpu.name = "aarch64";
#elif defined(__arm__)
    cpu.name = "arm";
#else
    cpu.name = "unknown";
#endif
  }
  return cpu;
}

}  // namespace

const HostCpu& Host() {
  static const HostCpu host = DetectHost();
  return host;
}

IsaSet CompiledFeatures() {
  IsaSet f = 0;
#if LUTRA_HAVE_AVX2
  f |= kLevelAVX2;
#endif
#if LUTRA_HAVE_AVX512
  f |= kLevelAVX512;
#endif
#if LUTRA_HAVE_AVX512VBMI
  f |= kLevelAVX512VBMI;
#endif
#if LUTRA_HAVE_AVX512VNNI
  f |= kLevelAVX512VNNI;
#endif
#if LUTRA_HAVE_AVX512BF16
  f |= kLevelAVX512BF16;
#endif
#if LUTRA_HAVE_NEON
  f |= kLevelNEON;
#endif
#if LUTRA_HAVE_FP16
  f |= kLevelFP16;
#endif
#if LUTRA_HAVE_DOTPROD
  f |= kLevelDOTPROD;
#endif
#if LUTRA_HAVE_I8MM
  f |= kLevelI8MM;
#endif
#if LUTRA_HAVE_RVV
  f |= kLevelRVV;
#endif
  return f;
}

bool ApplyIsaCap(IsaSet host, std::string_view cap, IsaSet* capped, std::string* error,
                 std::string_view label) {
  if (cap.empty() || cap == "native") {
    *capped = host;
    return true;
  }
  IsaSet level = 0;
  if (!LevelFeatures(cap, &level)) {
    *error = std::string(label) + std::string(cap) + " is not a known ISA level (known: native, " +
             LevelNames() + ")";
    return false;
  }
  const IsaSet missing = level & ~host;
  if (missing != 0) {
    *error = std::string(label) + std::string(cap) + " needs " + FeatureNames(missing) +
             ", which this CPU does not support (it has: " + FeatureNames(host) + ")";
    return false;
  }
  *capped = host & level;
  return true;
}

const ProcessIsa& Process() {
  static const ProcessIsa process = [] {
    ProcessIsa p;
    const char* env = std::getenv("LUTRA_ISA");
    p.cap = env != nullptr ? env : "";
    if (!ApplyIsaCap(Host().features, p.cap, &p.features, &p.error)) p.features = 0;
    return p;
  }();
  return process;
}

}  // namespace lutra::arch
