#!/usr/bin/env bash
# run.sh: the main job. Installs the native dependencies, builds lutra (Release) and runs
#   1. lutra-sysinfo: the CPU as lutra sees it and the kernel chosen for every operation
#   2. a short selection of the kernel benchmarks: memory read bandwidth, the LUT GEMV on a
#      4096x4096 matrix (w2, ternary) for every compiled variant next to the dequantize-then-
#      dot and XNNPACK fp32/int8 baselines
#   3. lutra-bench on a synthetic TinyLlama-1.1B with TQ2_0 (ternary) weights that it
#      generates itself: prompt and generation tok/s at 1 and 2 threads, and the fraction of
#      the measured read bandwidth generation reaches
#   4. when the stories260K.gguf test model is present: lutra-run (a greedy completion) and
#      lutra-perplexity on tests/data/story.txt
# Takes a few minutes on two cores. Environment:
#   LUTRA_BUILD_DIR     build directory (default <repo>/build)
#   LUTRA_BENCH_FILTER  Google Benchmark filter regex replacing the selection in 2
#   LUTRA_BENCH_MIN_TIME  seconds per benchmark (default 0.1)
#   LUTRA_MODEL_BENCH_ARGS  lutra-bench arguments replacing those of 3
#   LUTRA_MODELS_DIR    where stories260K.gguf is looked for (default <repo>/../shared/models)
#   LUTRA_ISA           ISA cap for the run (scalar, avx2, avx512, neon, dotprod, rvv, ...)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD_DIR=${LUTRA_BUILD_DIR:-$LUTRA_ROOT/build}
FILTER=${LUTRA_BENCH_FILTER:-'^(memory/read_sum|(lutgemm/[^/]*|dequant_dot)/(w2|ternary)/4096x4096/n:1/t:1/in_cache|xnn_(f32|qs8)/4096x4096/n:1/t:1/in_cache)'}
MIN_TIME=${LUTRA_BENCH_MIN_TIME:-0.1}
MODEL_BENCH_ARGS=${LUTRA_MODEL_BENCH_ARGS:---synthetic tinyllama-1.1b --wtype tq2_0 -p 64 -n 32 -t 1,2 -r 2}
STORIES=${LUTRA_MODELS_DIR:-$(cd "$LUTRA_ROOT/.." && pwd)/shared/models}/stories260K.gguf

"$LUTRA_ROOT/scripts/install-deps.sh" native
start=$(date +%s%N)
log "configure + build (Release) in $BUILD_DIR"
cmake -S "$LUTRA_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DLUTRA_BUILD_TOOLS=ON -DLUTRA_BUILD_BENCH=ON >/dev/null
ninja -C "$BUILD_DIR" -j "${LUTRA_JOBS:-$(nproc)}" lutra-sysinfo lutra-kernel-bench \
  lutra-bench lutra-run lutra-perplexity lutra-chat
log "built ($(secs_since "$start"))"
TOOLS=$BUILD_DIR/tools

log "lutra-sysinfo"
"$TOOLS/lutra-sysinfo"
echo
log "lutra-kernel-bench (min_time ${MIN_TIME}s per benchmark)"
"$BUILD_DIR/bench/lutra-kernel-bench" --benchmark_filter="$FILTER" \
  --benchmark_min_time="$MIN_TIME" --benchmark_counters_tabular=true
echo
log "lutra-bench $MODEL_BENCH_ARGS"
# shellcheck disable=SC2086  # the arguments are meant to split
"$TOOLS/lutra-bench" $MODEL_BENCH_ARGS
echo
if [ -f "$STORIES" ]; then
  log "lutra-run -m $STORIES -p 'Once upon a time' -n 64 --temp 0"
  "$TOOLS/lutra-run" -m "$STORIES" -p "Once upon a time" -n 64 --temp 0
  log "lutra-perplexity -m $STORIES -f tests/data/story.txt -c 128"
  "$TOOLS/lutra-perplexity" -m "$STORIES" -f "$LUTRA_ROOT/tests/data/story.txt" -c 128
else
  log "$STORIES not found: skipping lutra-run and lutra-perplexity (set LUTRA_MODELS_DIR)"
fi
log "done ($(secs_since "$start")); chat with a model: $TOOLS/lutra-chat -m MODEL.gguf"
