#!/usr/bin/env bash
# tsan.sh
# The tests that run lutra code on more than one thread, built with clang-19
# -fsanitize=thread (RelWithDebInfo) in ${LUTRA_TSAN_BUILD:-build-tsan}, halting at the first
# report. Only those test binaries are built, and only the threaded cases run (gtest filters):
# the thread pool, the LUT multiply driver, dense XNNPACK layers, the range search, attention,
# model prefill/decode and the converter with pools of 2 threads, and one model shared by
# sessions on two std::threads through the C API. scripts/tsan.supp may only silence reports
# inside Debian's uninstrumented XNNPACK/pthreadpool, never lutra's code (a race is fixed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD=${LUTRA_TSAN_BUILD:-$LUTRA_ROOT/build-tsan}
JOBS=${LUTRA_JOBS:-$(nproc)}

# BINARY|ENVIRONMENT|GTEST_FILTER (empty filter: the whole binary). Each case starts threads:
# a ThreadPool of 2 or 3 threads, directly or through ModelOptions / lutra_*_options
# threads = 2 (fixed counts, so the job does not depend on the machine's cores), or
# std::thread. LUTRA_TEST_SCALE=small leaves out attention's contexts longer than 65: lengths
# up to 65 reach every block and tail path and the split across threads, and the double
# reference of a 2048 context costs a minute under TSan.
TESTS=(
  "lutra-engine-tests|LUTRA_TEST_SCALE=small|ThreadPool.*:XnnFullyConnectedF32.MatchesReferenceOnTwoThreads:XnnFullyConnectedQS8.*:XnnSoftmaxF32.*:Modes/LutMultiplyTest.*:ModelLinear.*:QuantRangeSearch.ThreadedEqualsSingleThreaded:Shapes/AttentionTest.*"
  "lutra-model-tests||SyntheticModel.*MatchReference*:LlamaSynthetic.Gqa2Untied:LlamaSynthetic.Gqa8*:Qwen2Synthetic.Gqa2BiasesUntied:Convert.RoundTripEqualsInMemoryQuantization:Convert.TernaryAndLosslessRepacks:Convert.StopLeavesNoFile:Convert.CallbacksRunOnTheConvertingThread"
  "lutra-api-cpp-tests||CApiBinding.ModelSharedAcrossThreads"
  "lutra-api-c-test||"
)

configure_tsan() {
  local flags="-fsanitize=thread -fno-omit-frame-pointer"
  apt_install cmake ninja-build pkg-config clang-19 libclang-rt-19-dev libxnnpack-dev \
    libcpuinfo-dev libpthreadpool-dev libgtest-dev libpcre2-dev
  [ -f "$BUILD/build.ninja" ] && return 0
  log "configure $BUILD (clang-19, ThreadSanitizer)"
  CC=clang-19 CXX=clang++-19 cmake -S "$LUTRA_ROOT" -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${LUTRA_SANITIZER_DEBUG_FLAGS[@]}" -DLUTRA_BUILD_FUZZ=OFF -DLUTRA_BUILD_BENCH=OFF \
    -DLUTRA_BUILD_TOOLS=OFF -DLUTRA_WERROR=ON "-DCMAKE_C_FLAGS=$flags" \
    "-DCMAKE_CXX_FLAGS=$flags" >/dev/null
}

configure_tsan
targets=()
for t in "${TESTS[@]}"; do targets+=("${t%%|*}"); done
start=$(date +%s%N)
if ! ninja -C "$BUILD" -j "$JOBS" "${targets[@]}" >"$BUILD/tsan-build.log" 2>&1; then
  tail -40 "$BUILD/tsan-build.log"
  die "tsan: build failed"
fi
log "tsan: built ${targets[*]} ($(secs_since "$start"))"

# The models directory the build was configured with (stories260K for the shared-model test).
models=$(sed -n 's/^LUTRA_MODELS_DIR:PATH=//p' "$BUILD/CMakeCache.txt")
export LUTRA_MODELS_DIR=${LUTRA_MODELS_DIR:-$models}
# The first report fails the run; a TSAN_OPTIONS from the caller comes after (and wins).
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$LUTRA_ROOT/scripts/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
status=0
total=$(date +%s%N)
for t in "${TESTS[@]}"; do
  IFS='|' read -r bin vars filter <<<"$t"
  read -ra vars <<<"$vars"
  args=()
  [ -z "$filter" ] || args=(--gtest_brief=1 "--gtest_filter=$filter")
  logfile="$BUILD/tsan-$bin.log"
  start=$(date +%s%N)
  if env "${vars[@]}" "$BUILD/tests/$bin" "${args[@]}" >"$logfile" 2>&1; then
    result=passed
  else
    result="FAILED (exit $?)"
    if grep -q "ThreadSanitizer" "$logfile"; then
      sed -n '/WARNING: ThreadSanitizer\|ERROR: ThreadSanitizer/,$p' "$logfile" | head -80
    else
      tail -30 "$logfile"
    fi
    status=1
  fi
  # gtest binaries report how many tests ran; the C test prints one line per check group.
  ran=$(grep -oE '[0-9]+ tests? from [0-9]+ test suites? ran' "$logfile" | tail -1 || true)
  printf '    %s: %s%s (%s)\n' "$bin" "$result" "${ran:+, $ran}" "$(secs_since "$start")"
done
if grep -l "ThreadSanitizer" "$BUILD"/tsan-*.log >/dev/null 2>&1; then
  printf '[lutra] FAIL: ThreadSanitizer reports (logs: %s/tsan-*.log)\n' "$BUILD" >&2
  status=1
fi
[ $status = 0 ] && log "tsan: no reports, all threaded tests passed ($(secs_since "$total"))"
exit $status
