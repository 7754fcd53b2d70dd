#!/usr/bin/env bash
# run.sh: the main job. Installs the native dependencies, builds lutra (Release) and runs
#   1. lutra-sysinfo: the CPU as lutra sees it and the kernel chosen for every operation
#   2. a short selection of the kernel benchmarks: memory bandwidth, the LUT GEMV on a
#      4096x4096 matrix (w2, w4, ternary) for every compiled variant next to the dequantize-
#      then-dot and XNNPACK fp32/int8 baselines, and the fp32 dot product
# Takes a few minutes on two cores. Environment:
#   LUTRA_BUILD_DIR     build directory (default <repo>/build)
#   LUTRA_BENCH_FILTER  Google Benchmark filter regex replacing the selection above
#   LUTRA_BENCH_MIN_TIME  seconds per benchmark (default 0.1)
#   LUTRA_ISA           ISA cap for the run (scalar, avx2, avx512, neon, dotprod, rvv, ...)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD_DIR=${LUTRA_BUILD_DIR:-$LUTRA_ROOT/build}
FILTER=${LUTRA_BENCH_FILTER:-'^(memory/|lutra_vec_dot|(lutgemm/[^/]*|dequant_dot)/(w2|w4|ternary)/4096x4096/n:1/t:1/in_cache|xnn_(f32|qs8)/4096x4096/n:1/t:1/in_cache)'}
MIN_TIME=${LUTRA_BENCH_MIN_TIME:-0.1}

"$LUTRA_ROOT/scripts/install-deps.sh" native
start=$(date +%s%N)
log "configure + build (Release) in $BUILD_DIR"
cmake -S "$LUTRA_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DLUTRA_BUILD_TOOLS=ON -DLUTRA_BUILD_BENCH=ON >/dev/null
ninja -C "$BUILD_DIR" -j "${LUTRA_JOBS:-$(nproc)}" lutra-sysinfo lutra-kernel-bench
log "built ($(secs_since "$start"))"

log "lutra-sysinfo"
"$BUILD_DIR/tools/lutra-sysinfo"
echo
log "lutra-kernel-bench (min_time ${MIN_TIME}s per benchmark)"
"$BUILD_DIR/bench/lutra-kernel-bench" --benchmark_filter="$FILTER" \
  --benchmark_min_time="$MIN_TIME" --benchmark_counters_tabular=true
