#!/usr/bin/env bash
# fuzz.sh TARGET [SECONDS]   TARGET: gguf | tokenizer | chat_template | model_load | all
# Builds the libFuzzer targets with ASan + UBSan (clang-19) in ${LUTRA_FUZZ_BUILD:-build-fuzz},
# writes their seed corpora once (valid small models, vocabularies and their truncations,
# texts, conversations), then runs TARGET for SECONDS (default 60) and prints libFuzzer's
# execution count and coverage. Inputs that crash are kept in <build>/findings/TARGET/; new
# interesting inputs accumulate in <build>/corpus-found/TARGET/ across runs. Exits non-zero on
# a finding. Long runs are for developers: fuzz.sh gguf 1800.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TARGETS=(gguf tokenizer chat_template model_load)
[ $# -ge 1 ] || die "usage: fuzz.sh TARGET [SECONDS] (targets: ${TARGETS[*]} all)"
WHAT=$1
SECONDS_PER_TARGET=${2:-60}
BUILD=${LUTRA_FUZZ_BUILD:-$LUTRA_ROOT/build-fuzz}

configure_sanitized "$BUILD"
ninja -C "$BUILD" -j "${LUTRA_JOBS:-$(nproc)}" lutra-fuzz-corpus \
  "${TARGETS[@]/#/lutra-fuzz-}" >/dev/null
[ -d "$BUILD/corpus/gguf" ] || "$BUILD/tests/fuzz/lutra-fuzz-corpus" "$BUILD/corpus"

# Huge allocations requested by a malformed file must fail like on a real system (bad_alloc
# → an error status), not abort as an ASan report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run TARGET: fuzzes one target; returns non-zero on a finding. Prints its result lines in one
# write, so runs in parallel do not interleave.
run() {
  local t=$1 log="$BUILD/fuzz-$1.log" out
  mkdir -p "$BUILD/findings/$t" "$BUILD/corpus-found/$t"
  if "$BUILD/tests/fuzz/lutra-fuzz-$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=30 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$BUILD/findings/$t/" \
    "$BUILD/corpus-found/$t" "$BUILD/corpus/$t" >"$log" 2>&1; then
    out=$(printf '    %s: %s executions, %s\n' "$t" \
      "$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')" \
      "$(grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)")
    printf '%s\n' "$out"
  else
    out=$(tail -40 "$log")
    printf '%s\n[lutra] FAIL: fuzz %s found a crash (input in %s)\n' "$out" "$t" \
      "$BUILD/findings/$t" >&2
    return 1
  fi
}

status=0
if [ "$WHAT" = all ]; then
  # libFuzzer runs one process on one core: the targets run side by side, as many at a time as
  # there are jobs, each for its full time.
  jobs=${LUTRA_JOBS:-$(nproc)}
  log "fuzz ${TARGETS[*]} for ${SECONDS_PER_TARGET}s each, $jobs at a time"
  pids=()
  for t in "${TARGETS[@]}"; do
    run "$t" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
      wait "${pids[0]}" || status=1
      pids=("${pids[@]:1}")
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
else
  [[ " ${TARGETS[*]} " == *" $WHAT "* ]] || die "unknown fuzz target '$WHAT' (${TARGETS[*]} all)"
  log "fuzz $WHAT for ${SECONDS_PER_TARGET}s"
  run "$WHAT" || status=1
fi
exit $status
