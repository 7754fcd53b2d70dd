#!/usr/bin/env bash
# sanitize.sh [FUZZ_SECONDS]
# The native test suites under AddressSanitizer + UndefinedBehaviorSanitizer (clang-19, no
# recovery: the first report fails the run), then every fuzz target for FUZZ_SECONDS
# (default 30) from its seed corpus, in one build: ${LUTRA_SANITIZE_BUILD:-build-sanitize}.
# XNNPACK, pthreadpool and cpuinfo come from Debian uninstrumented; ASan still checks every
# access lutra makes to their buffers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD=${LUTRA_SANITIZE_BUILD:-$LUTRA_ROOT/build-sanitize}
JOBS=${LUTRA_JOBS:-$(nproc)}
configure_sanitized "$BUILD"
start=$(date +%s%N)
ninja -C "$BUILD" -j "$JOBS" >/dev/null
log "sanitize: built ($(secs_since "$start"))"

export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
start=$(date +%s%N)
# The emulated targets' shorter case lists keep the instrumented run within CI's time.
if ! LUTRA_TEST_SCALE=small ctest --test-dir "$BUILD" -j "$JOBS" --timeout 1800 \
  --output-on-failure >"$BUILD/ctest.log" 2>&1; then
  grep -E "ERROR: |SUMMARY: |runtime error|FAILED|tests failed" "$BUILD/ctest.log" | head -40
  printf '[lutra] FAIL: tests under ASan + UBSan\n' >&2
  status=1
fi
printf '    %s (%s)\n' "$(grep -E 'tests passed|tests failed' "$BUILD/ctest.log" | tail -1)" \
  "$(secs_since "$start")"
LUTRA_FUZZ_BUILD=$BUILD "$LUTRA_ROOT/scripts/fuzz.sh" all "${1:-30}" || status=1
exit $status
