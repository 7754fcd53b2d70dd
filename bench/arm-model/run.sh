#!/bin/bash
# bench/arm-model/run.sh: modelled cycles of every registered ARM kernel variant and of
# llama.cpp's kernels for the same formats, per ARM core model, without ARM hardware.
# See README.md. Env: GGML (llama.cpp's ggml folder; default ../peers/llama.cpp/ggml), BUILD
# (default build-arm-model), CORES, GHZ, BW (GB/s), FILTER (regex on case names), JOBS,
# LUTRA_ARM_MODEL_M / _K (GEMV shape, default 1024 x 4096), ALL=1 (scalar variants too),
# NOPEER=1 (lutra only).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
GGML=${GGML:-$ROOT/../peers/llama.cpp/ggml}
BUILD=${BUILD:-$ROOT/build-arm-model}
W=$BUILD/arm-model
N="nice -n 19"
mkdir -p "$W"
for tool in aarch64-linux-gnu-g++ qemu-aarch64 llvm-mca-19 llvm-objdump-19 python3 cmake ninja; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool missing (see README.md)" >&2; exit 1; }
done

# 1. lutra: the kernel objects exactly as the library builds them (Release, per-ISA flags).
if [ ! -f "$BUILD/build.ninja" ]; then
  [ -f "$ROOT/.deps/aarch64/usr/include/xnnpack.h" ] || "$ROOT/scripts/install-deps.sh" aarch64
  $N cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchains/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DLUTRA_BUILD_TESTS=OFF -DLUTRA_BUILD_BENCH=OFF \
    -DLUTRA_BUILD_TOOLS=OFF -DLUTRA_BUILD_ARM_MODEL=ON >/dev/null
fi
# An existing cross build (BUILD=build-aarch64) only needs the driver switched on.
grep -q 'LUTRA_BUILD_ARM_MODEL:BOOL=ON' "$BUILD/CMakeCache.txt" ||
  $N cmake -S "$ROOT" -B "$BUILD" -DLUTRA_BUILD_ARM_MODEL=ON >/dev/null
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" ||
  echo "run.sh: warning: $BUILD is not a Release build" >&2
$N ninja -C "$BUILD" -j2 lutra-arm-model >/dev/null
gcc -O2 -shared -fPIC -o "$W/libbbcount.so" "$HERE/bbcount.c"
: > "$W/cases.tsv"
$N qemu-aarch64 -cpu max "$BUILD/bench/arm-model/lutra-arm-model" list ${ALL:+all} |
  sed "s|^|$BUILD/bench/arm-model/lutra-arm-model\t|" >> "$W/cases.tsv"

# 2. llama.cpp: ggml's quant dot products from its own sources, for armv8.2-a+dotprod (Pi 5,
#    phones) and armv8-a (Pi 4), GCC 12 -O3 as its CMake Release build.
if [ -z "${NOPEER:-}" ]; then
  [ -f "$GGML/src/ggml-cpu/ggml-cpu-quants.c" ] || { echo "run.sh: no ggml at $GGML" >&2; exit 1; }
  A64=$GGML/src/ggml-cpu/ggml-cpu-aarch64.cpp
  # ggml_gemv_q4_0_4x4_q8_0 (Q4_0 run-time repack on dotprod CPUs) is static in a C++ file
  # with many dependencies: compile just it, its block types and a C entry point.
  {
    printf '#define GGML_COMMON_DECL_CPP\n#define GGML_COMMON_IMPL_CPP\n#include <arm_neon.h>\n'
    printf '#include <cassert>\n#include <cstddef>\n#include <cstdint>\n#include "ggml-common.h"\n'
    printf '#define UNUSED(x) (void)(x)\n#define GGML_RESTRICT __restrict\n'
    printf '#define GGML_FP16_TO_FP32(x) ((float)*(const __fp16*)&(x))\n'
    printf 'static int ggml_cpu_has_neon() { return 1; }\nstatic int ggml_cpu_has_dotprod() { return 1; }\n'
    sed -n '/^template <int K> constexpr int QK_0/,/^using block_q8_0x8/p' "$A64"
    sed -n '/^static void ggml_gemv_q4_0_4x4_q8_0/,/^}/p' "$A64"
    printf 'extern "C" const int peer_has_q4_0_4x4 = 1;\n'
    printf 'extern "C" void peer_gemv_q4_0_4x4(int n, float* s, const void* vx, const void* vy, int nc) {\n'
    printf '  ggml_gemv_q4_0_4x4_q8_0(n, s, 0, vx, vy, 1, nc);\n}\n'
  } > "$W/gemv44.cc"
  printf 'extern "C" const int peer_has_q4_0_4x4 = 0;\nextern "C" void peer_gemv_q4_0_4x4(int, float*, const void*, const void*, int) {}\n' > "$W/nogemv44.cc"
  # The reference quantizers ggml-cpu-quants.c refers to but no case calls.
  for f in iq4_xs row_iq4_nl_ref row_q2_K_ref row_q3_K_ref row_q4_0_ref row_q4_1_ref row_q4_K_ref \
    row_q5_0_ref row_q5_1_ref row_q5_K_ref row_q6_K_ref row_q8_K_ref row_tq1_0_ref row_tq2_0_ref \
    row_q8_0_ref row_q8_1_ref; do echo "void quantize_$f(void) {}"; done > "$W/stubs.c"
  aarch64-linux-gnu-gcc -O2 -c "$W/stubs.c" -o "$W/stubs.o"
  $N aarch64-linux-gnu-g++ -std=c++20 -O2 -c "$HERE/peer_driver.cc" -o "$W/peer_driver.o"
  for build in dotprod:armv8.2-a+dotprod v8:armv8-a; do
    tag=${build%%:*} arch=${build#*:}
    $N aarch64-linux-gnu-gcc -std=gnu11 -O3 -DNDEBUG -march=$arch -I"$GGML/include" -I"$GGML/src" \
      -I"$GGML/src/ggml-cpu" -c "$GGML/src/ggml-cpu/ggml-cpu-quants.c" -o "$W/quants_$tag.o"
    if [ $tag = dotprod ]; then
      $N aarch64-linux-gnu-g++ -std=c++17 -O3 -DNDEBUG -march=$arch -I"$GGML/include" -I"$GGML/src" \
        -c "$W/gemv44.cc" -o "$W/gemv44_$tag.o"
    else
      aarch64-linux-gnu-g++ -O2 -c "$W/nogemv44.cc" -o "$W/gemv44_$tag.o"
    fi
    aarch64-linux-gnu-g++ -static -no-pie -o "$W/peer-$tag" "$W/peer_driver.o" "$W/quants_$tag.o" \
      "$W/gemv44_$tag.o" "$W/stubs.o"
    feats=$([ $tag = dotprod ] && echo "neon dotprod" || echo neon)
    qemu-aarch64 -cpu max "$W/peer-$tag" list |
      awk -F'\t' -v b="$W/peer-$tag" -v f="$feats" 'BEGIN{OFS="\t"} {$2=f; print b, $0}' >> "$W/cases.tsv"
  done
fi

# 3. Profiles and the model.
$N python3 "$HERE/model.py" "$W/cases.tsv" --work "$W/profiles" --plugin "$W/libbbcount.so" \
  ${CORES:+--cores "$CORES"} ${GHZ:+--ghz "$GHZ"} --bw "${BW:-8}" --jobs "${JOBS:-2}" \
  ${FILTER:+--filter "$FILTER"} --json "$W/results.json"
