// lutra-kernel-bench main: prints the CPU and the LUTRA_ISA cap before the results, so every
// figure in a log says where it was measured.
#include <benchmark/benchmark.h>

#include "arch/detect.h"

int main(int argc, char** argv) {
  const lutra::arch::HostCpu& host = lutra::arch::Host();
  const lutra::arch::ProcessIsa& process = lutra::arch::Process();
  benchmark::AddCustomContext("lutra_cpu", host.name);
  benchmark::AddCustomContext("lutra_features", lutra::arch::FeatureNames(host.features));
  benchmark::AddCustomContext("lutra_isa_cap", process.cap.empty() ? "native" : process.cap);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
