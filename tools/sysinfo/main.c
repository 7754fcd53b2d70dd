/* lutra-sysinfo: what lutra sees of this machine and which kernel it picks for each operation.
 * Written in C against the public API only, which also keeps that API honest.
 *
 *   lutra-sysinfo [--isa LEVEL]   (LEVEL as LUTRA_ISA: scalar, avx2, avx512, neon, rvv, ...) */
#include <stdio.h>
#include <string.h>

#include "lutra/lutra.h"

static void print_bytes(const char* label, uint64_t bytes) {
  if (bytes == 0) {
    printf("%-18s unknown\n", label);
  } else if (bytes >= (1u << 20)) {
    printf("%-18s %llu MiB\n", label, (unsigned long long)(bytes >> 20));
  } else {
    printf("%-18s %llu KiB\n", label, (unsigned long long)(bytes >> 10));
  }
}

int main(int argc, char** argv) {
  const char* isa = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
      isa = argv[++i];
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      printf("usage: %s [--isa LEVEL]\n", argv[0]);
      return 0;
    } else {
      fprintf(stderr, "lutra-sysinfo: unknown argument '%s' (try --help)\n", argv[i]);
      return 2;
    }
  }

  lutra_cpu_info info;
  lutra_cpu_info_init(&info);
  const lutra_status st = lutra_get_cpu_info(&info);
  printf("lutra %s\n", lutra_version_string());
  printf("%-18s %s\n", "cpu", info.name);
  printf("%-18s %u (%u performance)\n", "cores", info.cores, info.performance_cores);
  print_bytes("L1d cache", info.l1d_bytes);
  print_bytes("L2 cache", info.l2_bytes);
  print_bytes("L3 cache", info.l3_bytes);
  if (info.rvv_vlen_bits != 0) printf("%-18s %u bits\n", "RVV VLEN", info.rvv_vlen_bits);
  printf("%-18s %s\n", "detected ISA", info.features);
  printf("%-18s %s\n", "compiled levels", info.compiled_levels);
  printf("%-18s %s\n", "LUTRA_ISA", info.isa_cap[0] != '\0' ? info.isa_cap : "(unset: native)");
  if (st != LUTRA_STATUS_OK) {
    fprintf(stderr, "lutra-sysinfo: %s\n", lutra_last_error());
    return 1;
  }
  if (isa == NULL) printf("%-18s %s\n", "active ISA", info.active_features);

  printf("\nkernel choice%s%s:\n", isa ? " for --isa " : "", isa ? isa : "");
  for (size_t i = 0; i < lutra_kernel_op_count(); ++i) {
    const char* op = NULL;
    const char* kernel = NULL;
    if (lutra_kernel_choice(i, isa, &op, &kernel) != LUTRA_STATUS_OK) {
      fprintf(stderr, "lutra-sysinfo: %s\n", lutra_last_error());
      return 1;
    }
    printf("  %-16s %s\n", op, kernel);
  }
  return 0;
}
