#!/usr/bin/env bash
# test.sh [native|aarch64|armhf|riscv64|sanitize|all]...   (default: all)
# Installs the dependencies of each target, configures with -DLUTRA_WERROR=ON, builds, and runs
# the test suite; cross targets run under qemu-user on several CPUs:
#   native   default dispatch, then LUTRA_ISA=avx2 and LUTRA_ISA=scalar on x86 hosts, plus a
#            check that lutra-sysinfo picks the variants of the cap
#   aarch64  QEMU_CPU=cortex-a53 (NEON only) and QEMU_CPU=max (dotprod, fp16, i8mm, SVE)
#   armhf    QEMU_CPU=cortex-a7 (ARMv7 with NEON)
#   riscv64  RVV at VLEN 256 and 128, and without V (the scalar kernels must be chosen);
#            without the LUT driver test, which is too slow under qemu-riscv64
# After each run it prints the kernel variants the tests ran and skipped. Exits non-zero if
# anything failed. Build directories: ${LUTRA_BUILD_PREFIX:-<repo>/build}-<target>.
# LUTRA_CROSS_BENCH=ON also builds the benchmarks of cross targets; LUTRA_JOBS=N sets the
# build and ctest parallelism (default: nproc).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD_PREFIX=${LUTRA_BUILD_PREFIX:-$LUTRA_ROOT/build}
JOBS=${LUTRA_JOBS:-$(nproc)}
FAILURES=()
# The LUT driver test (LutMultiplyTest: every mode, size and thread count, checked in double
# precision) takes over 15 minutes per run under qemu-riscv64 (40 s under qemu-aarch64); it
# runs on the other targets, and riscv64 runs everything else.
RISCV_GTEST_FILTER='-Modes/LutMultiplyTest.*'
# The model suite (whole models against the naive reference) exercises engine code, not ISA
# variants, and is the slowest under emulation: it runs whole once per cross architecture
# (aarch64 max, armhf, riscv64 VLEN 256); the other CPU configurations run the kernel and
# engine suites. ctest registers every suite as shards NAME/0..NAME/n-1 (tests/CMakeLists.txt).
CORE_SUITES='^(arch|kernels|engine)(/[0-9]+)?$'
# riscv64 at VLEN 128 and without V run the kernel suite: every RVV variant at a second vector
# length, and every scalar variant on a core without V (with lutra-sysinfo's check that the
# scalar kernels are the ones chosen). The engine suite calls the same kernels through code that
# does not depend on VLEN; it runs at VLEN 256, and with the scalar kernels natively
# (LUTRA_ISA=scalar). Without V, these whole-model cases also check that a model (the real
# stories260K, fp32 and low-bit synthetic layers, dense layers without XNNPACK) runs on them.
KERNEL_SUITES='^(arch|kernels)(/[0-9]+)?$'
# Cases that check file formats and the loader's validation (the converter's output, GGUF
# layout, each family's keys and tensors named when wrong) run no ISA-specific code: they run
# natively at three ISA levels, under qemu-aarch64 and under ASan/UBSan. Under the
# slower emulators they are left out: on riscv64 (64-bit like the others) all of them, on armhf
# (the one 32-bit target, where offsets and sizes are narrower) all but the bad-input cases.
# Under qemu-riscv64 the converter's perplexity table alone was 71 s and the family errors 45 s
# of the 471 s model suite.
RISCV_MODEL_SKIP='Convert.*:GgufSpecLayout.*:FamilyErrors.*:ModelErrors.*:BadInput.*'
ARMHF_MODEL_SKIP='Convert.*:GgufSpecLayout.*:FamilyErrors.*:ModelErrors.*'
# The LUT driver test (above) runs under qemu-aarch64 -cpu max on ARM: under qemu-arm it was 128
# of the engine suite's 165 s (the armhf LUT kernels have their own tests in the kernel suite,
# and the model suite runs them through the driver), under -cpu cortex-a53 a second ARM64 pass.
LUT_DRIVER_TEST='Modes/LutMultiplyTest.*'
# Scalar kernel variants do not depend on VLEN (they are built without V and run at VLEN 256 and
# on the core without V): the second vector length runs the RVV variants only.
RISCV_SECOND_VLEN_SKIP='*__scalar'
NO_V_MODEL_CASES='Stories260K.GreedyMatchesReference:SyntheticModel.LowBitWeightsMatchReference:LlamaSynthetic.MhaTied'
SUMMARY=()

fail() {
  FAILURES+=("$1")
  printf '[lutra] FAIL: %s\n' "$1" >&2
}

# Union of the "[lutra] kernel variants run/skipped" lines the test binaries print at exit.
print_variants() {
  local logfile=$1 ran skipped
  # ctest -V prefixes every line of a test's output with "<test number>: ".
  ran=$(grep -hE '^([0-9]+: )?\[lutra\] kernel variants run' "$logfile" | sed 's/^[^)]*)://' |
    tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ' || true)
  skipped=$(grep -hE '^([0-9]+: )?\[lutra\] kernel variants skipped' "$logfile" |
    sed 's/^[^)]*)://' | grep -o '[^ ]* ([^)]*)' | sort -u | sed 's/$/,/' | tr '\n' ' ' || true)
  printf '    variants run (%s): %s\n' "$(wc -w <<<"$ran")" "${ran:-none}"
  printf '    variants skipped (%s): %s\n' "$(grep -o '),' <<<"$skipped" | wc -l)" \
    "${skipped:-none}"
}

# run_ctest TARGET LABEL TESTS [VAR=VALUE...]: one ctest pass with the given environment over
# the test binaries matching the regex TESTS (all: every one).
run_ctest() {
  local target=$1 label=$2 tests=$3 dir="$BUILD_PREFIX-$1"
  shift 3
  local select=()
  [ "$tests" = all ] || select=(-R "$tests")
  local logfile="$dir/test-logs/$label.log" start line
  mkdir -p "$dir/test-logs"
  start=$(date +%s%N)
  log "$target: ctest [$label] ${*:-} (tests: $tests)"
  # -V: ctest hides the output of passing tests otherwise (the variant lines are needed).
  if env "$@" ctest --test-dir "$dir" "${select[@]}" -V --timeout 1800 -j "$JOBS" \
    >"$logfile" 2>&1; then
    :
  else
    grep -E '^[0-9]+: ' "$logfile" | grep -vE '^[0-9]+: \[ +(RUN|OK) ' | tail -80 || true
    grep -A20 -E 'tests passed|tests failed' "$logfile" || true
    fail "$target [$label]: ctest"
  fi
  line=$(grep -E 'tests passed|tests failed' "$logfile" | tail -1 || true)
  line="${line:-no ctest summary} ($(secs_since "$start"))"
  printf '    %s\n' "$line"
  SUMMARY+=("$target [$label]: $line")
  print_variants "$logfile"
}

# Kernel names chosen by lutra-sysinfo, one per line in catalog order ("" args: process default).
choices() {
  local target=$1
  shift
  sysinfo "$target" "$@" | awk '/^kernel choice/ { on = 1; next } on && NF == 2 { print $2 }'
}

sysinfo() {
  local target=$1 emu
  shift
  emu=$(emulator_cmd "$target")
  # shellcheck disable=SC2086 # the emulator is a command line
  $emu "$BUILD_PREFIX-$target/tools/lutra-sysinfo" "$@"
}

# check_choice TARGET LABEL FAMILY_REGEX CAP_LEVEL [VAR=VALUE...]: under the environment, every
# catalog entry that has a variant of FAMILY_REGEX at or below CAP_LEVEL (as reported by
# `lutra-sysinfo --isa CAP_LEVEL`) must choose it, and no entry may choose a variant above it
# (anything not matching FAMILY_REGEX or `scalar` when the cap is reached).
check_choice() {
  local target=$1 label=$2 family=$3 level=$4
  shift 4
  local actual capped i bad=0
  mapfile -t actual < <(
    # shellcheck disable=SC2163 # the arguments are VAR=VALUE assignments
    [ $# -eq 0 ] || export "$@"
    choices "$target"
  )
  mapfile -t capped < <(choices "$target" --isa "$level")
  if [ ${#actual[@]} -eq 0 ] || [ ${#actual[@]} -ne ${#capped[@]} ]; then
    fail "$target [$label]: lutra-sysinfo gave no kernel table"
    return
  fi
  for i in "${!actual[@]}"; do
    if [[ ${capped[$i]} =~ __($family)$ && ${actual[$i]} != "${capped[$i]}" ]] ||
      [[ ! ${actual[$i]} =~ __($family|scalar)$ ]]; then
      printf '    entry %d: chose %s, expected a %s variant (--isa %s: %s)\n' "$i" \
        "${actual[$i]}" "$family" "$level" "${capped[$i]}"
      bad=1
    fi
  done
  local n
  n=$(printf '%s\n' "${actual[@]}" | grep -cE "__($family)\$" || true)
  if [ $bad = 0 ]; then
    printf '    sysinfo [%s]: %d of %d catalog entries chose %s variants%s\n' "$label" "$n" \
      "${#actual[@]}" "$family" "$([ "$family" = scalar ] || echo ', the rest scalar')"
  else
    fail "$target [$label]: lutra-sysinfo kernel choice"
  fi
}

build_target() {
  local target=$1 dir="$BUILD_PREFIX-$1" tc args=() start
  tc=$(toolchain_file "$target")
  if [ -n "$tc" ]; then
    # Benchmarks are built and run natively (scripts/run.sh); cross targets build the tests
    # and tools only, which keeps CI on two cores well inside its time budget.
    args+=(-DCMAKE_TOOLCHAIN_FILE="$tc" -DLUTRA_BUILD_BENCH="${LUTRA_CROSS_BENCH:-OFF}")
  fi
  start=$(date +%s%N)
  log "$target: configure + build in $dir"
  mkdir -p "$dir"
  if ! cmake -S "$LUTRA_ROOT" -B "$dir" -G Ninja -DLUTRA_WERROR=ON "${args[@]}" \
    >"$dir/lutra-configure.log" 2>&1; then
    cat "$dir/lutra-configure.log"
    fail "$target: configure"
    return 1
  fi
  if ! ninja -C "$dir" -j "$JOBS" >"$dir/lutra-build.log" 2>&1; then
    tail -50 "$dir/lutra-build.log"
    fail "$target: build"
    return 1
  fi
  log "$target: built ($(secs_since "$start"))"
}

# test_consumer TARGET: installs the target's build into a prefix and builds the consumer project
# tests/api/consumer against it, once through find_package(lutra) and once through pkg-config,
# with the target's toolchain; runs it (under qemu for cross targets): the version, then a short
# generation on stories260K when that model is present (LUTRA_MODELS_DIR).
test_consumer() {
  local target=$1 dir="$BUILD_PREFIX-$1" tc emu mode cdir prefix start model failed=${#FAILURES[@]}
  prefix="$dir/install"
  start=$(date +%s%N)
  tc=$(toolchain_file "$target")
  emu=$(emulator_cmd "$target")
  rm -rf "$prefix"
  if ! cmake --install "$dir" --prefix "$prefix" >"$dir/lutra-install.log" 2>&1; then
    cat "$dir/lutra-install.log"
    fail "$target: cmake --install"
    return
  fi
  model="${LUTRA_MODELS_DIR:-$LUTRA_ROOT/../shared/models}/stories260K.gguf"
  for mode in find_package pkg-config; do
    cdir="$dir/consumer-$mode"
    rm -rf "$cdir"
    if ! cmake -S "$LUTRA_ROOT/tests/api/consumer" -B "$cdir" -G Ninja ${tc:+-DCMAKE_TOOLCHAIN_FILE="$tc"} \
      -DCMAKE_PREFIX_PATH="$prefix" -DUSE_PKG_CONFIG="$([ $mode = pkg-config ] && echo ON || echo OFF)" \
      >"$cdir.log" 2>&1 || ! ninja -C "$cdir" >>"$cdir.log" 2>&1; then
      tail -30 "$cdir.log"
      fail "$target: consumer ($mode): build against the installed package"
      continue
    fi
    # shellcheck disable=SC2086 # the emulator is a command line
    if ! $emu "$cdir/lutra-consumer" >>"$cdir.log" 2>&1 || ! grep -q '^lutra [0-9]' "$cdir.log"; then
      tail -5 "$cdir.log"
      fail "$target: consumer ($mode): run"
      continue
    fi
    # shellcheck disable=SC2086
    if [ -f "$model" ] && ! $emu "$cdir/lutra-consumer" "$model" >>"$cdir.log" 2>&1; then
      tail -5 "$cdir.log"
      fail "$target: consumer ($mode): generation on $model"
    fi
  done
  [ "${#FAILURES[@]}" = "$failed" ] || return 0
  local what=version
  [ ! -f "$model" ] || what="version, stories260K generation"
  printf '    consumer [find_package, pkg-config]: built against %s, ran (%s) (%s)\n' "$prefix" \
    "$what" "$(secs_since "$start")"
}

# test_partial_install TARGET: `cmake --install` works on a partial build (scripts/run.sh builds
# every tool but lutra-convert): with lutra-convert's binary moved aside it succeeds, installs
# the tools that exist and not the missing one. Cheap: no second build.
test_partial_install() {
  local target=$1 dir="$BUILD_PREFIX-$1" prefix tool bad=""
  prefix="$dir/install-partial"
  tool="$dir/tools/lutra-convert"
  if [ ! -f "$tool" ]; then
    fail "$target: partial install: $tool was not built"
    return
  fi
  mv "$tool" "$tool.aside"
  rm -rf "$prefix"
  if ! cmake --install "$dir" --prefix "$prefix" >"$dir/partial-install.log" 2>&1; then
    cat "$dir/partial-install.log"
    bad="cmake --install failed"
  elif [ -e "$prefix/bin/lutra-convert" ] || [ ! -x "$prefix/bin/lutra-run" ] ||
    [ ! -f "$prefix/include/lutra/lutra.h" ]; then
    bad="wrong set of files installed"
  fi
  mv "$tool.aside" "$tool"
  rm -rf "$prefix"
  if [ -n "$bad" ]; then
    fail "$target: install without lutra-convert built: $bad"
  else
    printf '    partial install (no lutra-convert built): ok\n'
  fi
}

test_native() {
  run_ctest native default all
  if [ "$(uname -m)" = x86_64 ]; then
    run_ctest native isa-avx2 all LUTRA_ISA=avx2
    run_ctest native isa-scalar all LUTRA_ISA=scalar
    local detected
    detected=$(sysinfo native | grep '^detected ISA' || true)
    if [[ $detected == *avx512* ]]; then
      # The host's highest AVX-512 level: the native choice must match that cap.
      local top=avx512
      [[ $detected == *avx512vbmi* ]] && top=avx512vbmi
      [[ $detected == *avx512vnni* ]] && top=avx512vnni
      [[ $detected == *avx512vbmi* && $detected == *avx512vnni* ]] && top=avx512icl
      [[ $top == avx512icl && $detected == *avx512bf16* ]] && top=avx512bf16
      check_choice native native 'avx512[a-z0-9]*' "$top"
    fi
    check_choice native isa-avx2 avx2 avx2 LUTRA_ISA=avx2
    check_choice native isa-scalar scalar scalar LUTRA_ISA=scalar
  fi
  test_consumer native
  test_partial_install native
}

test_aarch64() {
  run_ctest aarch64 max all QEMU_CPU=max
  run_ctest aarch64 cortex-a53 "$CORE_SUITES" QEMU_CPU=cortex-a53 "GTEST_FILTER=-$LUT_DRIVER_TEST"
  check_choice aarch64 cortex-a53 neon neon QEMU_CPU=cortex-a53
  if ! QEMU_CPU=max sysinfo aarch64 | grep '^detected ISA' | grep -q dotprod; then
    fail "aarch64 [max]: lutra-sysinfo does not report dotprod under qemu -cpu max"
  fi
  test_consumer aarch64
}

test_armhf() {
  run_ctest armhf cortex-a7 all QEMU_CPU=cortex-a7 "GTEST_FILTER=-$ARMHF_MODEL_SKIP:$LUT_DRIVER_TEST"
  check_choice armhf cortex-a7 neon neon QEMU_CPU=cortex-a7
}

test_riscv64() {
  local vlen info
  for vlen in 256 128; do
    if [ $vlen = 256 ]; then
      run_ctest riscv64 "rvv-vlen$vlen" all RVV_VLEN=$vlen \
        "GTEST_FILTER=$RISCV_GTEST_FILTER:$RISCV_MODEL_SKIP"
    else
      run_ctest riscv64 "rvv-vlen$vlen" "$KERNEL_SUITES" RVV_VLEN=$vlen \
        "GTEST_FILTER=$RISCV_GTEST_FILTER:$RISCV_SECOND_VLEN_SKIP"
    fi
    check_choice riscv64 "rvv-vlen$vlen" rvv rvv RVV_VLEN=$vlen
    info=$(RVV_VLEN=$vlen sysinfo riscv64)
    grep -qE "^RVV VLEN +$vlen bits" <<<"$info" ||
      fail "riscv64 [rvv-vlen$vlen]: lutra-sysinfo does not report VLEN $vlen"
  done
  # XNNPACK's tests skip themselves here (Debian's riscv64 XNNPACK needs V).
  run_ctest riscv64 no-v "$KERNEL_SUITES" RVV=0 "GTEST_FILTER=$RISCV_GTEST_FILTER"
  run_ctest riscv64 no-v-models '^model/' RVV=0 "GTEST_FILTER=$NO_V_MODEL_CASES"
  info=$(RVV=0 sysinfo riscv64)
  if grep '^detected ISA' <<<"$info" | grep -q rvv || grep -q '^RVV VLEN' <<<"$info"; then
    fail "riscv64 [no-v]: lutra-sysinfo reports V on a core without it"
  fi
  # Without V every entry must fall back to its scalar kernel.
  check_choice riscv64 no-v scalar scalar RVV=0
}

TEST_SH_START=$(date +%s%N)

main() {
  local targets t start args=() sanitize=0
  [ $# -gt 0 ] || set -- all
  # "sanitize" (also part of "all"): scripts/sanitize.sh, the native suites under ASan +
  # UBSan and a short run of every fuzz target, then scripts/tsan.sh, the threaded tests under
  # ThreadSanitizer.
  for t in "$@"; do
    case $t in
      sanitize) sanitize=1 ;;
      all) sanitize=1 args+=("$t") ;;
      *) args+=("$t") ;;
    esac
  done
  targets=()
  [ ${#args[@]} -eq 0 ] || mapfile -t targets < <(expand_targets "${args[@]}")
  if [ ${#targets[@]} -gt 0 ]; then
    start=$(date +%s%N)
    "$LUTRA_ROOT/scripts/install-deps.sh" "${targets[@]}"
    SUMMARY+=("deps: total $(secs_since "$start") (apt, cross prefixes, riscv64 sysroot)")
  fi
  for t in "${targets[@]}"; do
    start=$(date +%s%N)
    if build_target "$t"; then
      "test_$t"
    fi
    SUMMARY+=("$t: total $(secs_since "$start") (build + tests)")
  done
  if [ $sanitize = 1 ]; then
    start=$(date +%s%N)
    log "sanitize: ASan + UBSan suites and fuzz targets (${LUTRA_FUZZ_SECONDS:-30} s each)"
    LUTRA_SANITIZE_BUILD="$BUILD_PREFIX-sanitize" "$LUTRA_ROOT/scripts/sanitize.sh" \
      "${LUTRA_FUZZ_SECONDS:-30}" || fail "sanitize"
    SUMMARY+=("sanitize: total $(secs_since "$start") (build + tests + fuzz)")
    start=$(date +%s%N)
    log "sanitize: ThreadSanitizer on the threaded tests"
    LUTRA_TSAN_BUILD="$BUILD_PREFIX-tsan" "$LUTRA_ROOT/scripts/tsan.sh" || fail "tsan"
    SUMMARY+=("tsan: total $(secs_since "$start") (build + threaded tests)")
  fi
  log "summary"
  printf '  %s\n' "${SUMMARY[@]}"
  printf '  all: total %s (CI limit 90 min, budget 40 min)\n' "$(secs_since "$TEST_SH_START")"
  if [ ${#FAILURES[@]} -gt 0 ]; then
    printf '[lutra] %d failure(s):\n' "${#FAILURES[@]}" >&2
    printf '  %s\n' "${FAILURES[@]}" >&2
    exit 1
  fi
  log "all tests passed"
}

main "$@"
