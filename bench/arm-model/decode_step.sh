#!/bin/bash
# bench/arm-model/decode_step.sh [MODEL.gguf...]: dynamic instructions of one whole decode step
# per token under qemu-aarch64, lutra against llama.cpp built for aarch64 the same way, broken
# down by kernel family. See README.md ("Whole decode step").
# Env: BUILD (default <repo>/build-decode), LLAMA (llama.cpp checkout, default
# ../peers/llama.cpp), CPUS (qemu CPUs for lutra, default "max"), PEER_CPUS (for llama.cpp,
# default "max"), N_LONG / N_SHORT (tokens generated, default 9 / 1), PROMPT, CTX (default 64),
# NOPEER=1 / NOLUTRA=1 (one side only), LUTRA_DEPS_DIR (aarch64 dependencies, default
# <repo>/.deps; scripts/install-deps.sh aarch64 fills it). Runs whose profiles are newer than
# the program and the model are reused; FORCE=1 reruns them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LLAMA=${LLAMA:-$ROOT/../peers/llama.cpp}
BUILD=${BUILD:-$ROOT/build-decode}
W=$BUILD/work
CPUS=${CPUS:-max} PEER_CPUS=${PEER_CPUS:-max}
N_LONG=${N_LONG:-9} N_SHORT=${N_SHORT:-1} CTX=${CTX:-64}
PROMPT=${PROMPT:-Once upon a time}
STEPS=$((N_LONG - N_SHORT))
N="nice -n 19"
export LUTRA_DEPS_DIR=${LUTRA_DEPS_DIR:-$ROOT/.deps}
LIBDIR=$LUTRA_DEPS_DIR/aarch64/usr/lib/aarch64-linux-gnu
if [ $# -gt 0 ]; then MODELS=("$@"); else
  MODELS=()
  for m in lc-TQ2_0 tl-tq2_0 lc-TQ1_0 lc-Q4_0; do
    [ -f "$ROOT/../fp/$m.gguf" ] && MODELS+=("$(cd "$ROOT/../fp" && pwd)/$m.gguf")
  done
  [ ${#MODELS[@]} -gt 0 ] || { echo "decode_step.sh: give the GGUF models as arguments" >&2; exit 1; }
fi
for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-nm qemu-aarch64 python3 cmake ninja gcc; do
  command -v "$tool" >/dev/null || { echo "decode_step.sh: $tool missing (see README.md)" >&2; exit 1; }
done
mkdir -p "$W"
log() { echo "[decode_step $(date +%T)] $*" >&2; }

# A run is redone when its profile is older than the program or the model (or FORCE=1).
stale() { [ -n "${FORCE:-}" ] || [ ! -s "$1" ] || [ "$2" -nt "$1" ] || [ "$3" -nt "$1" ]; }

# profile OUT_PREFIX CPU EXE ARGS...: one run under qemu with the block counter; the guest's
# stderr (with LD_DEBUG=files: where each shared library was loaded) goes to OUT_PREFIX.log.
profile() {
  local out=$1 cpu=$2
  shift 2
  $N qemu-aarch64 -cpu "$cpu" -E LD_LIBRARY_PATH="$LIBDIR" -E LD_DEBUG=files \
    -plugin "$W/libbbcount.so,out=$out.bb" "$@" > "$out.out" 2> "$out.log" || {
    grep -v '^ *[0-9]*:' "$out.log" | tail -5 >&2
    echo "decode_step.sh: run failed: $*" >&2
    return 1
  }
}

# pair ENGINE LABEL MODEL CPU EXE ARGS_BEFORE_N... : the long and the short run side by side
# (two cores), then the count. The token count goes where the caller puts {N}.
pair() {
  local engine=$1 label=$2 model=$3 cpu=$4 exe=$5
  shift 5
  local tag="$engine-$label-$cpu" pids=()
  for n in $N_LONG $N_SHORT; do
    if stale "$W/$tag-n$n.bb" "$exe" "$model"; then
      local args=()
      for a in "$@"; do args+=("${a//\{N\}/$n}"); done
      profile "$W/$tag-n$n" "$cpu" "$exe" "${args[@]}" & pids+=($!)
    fi
  done
  [ ${#pids[@]} -eq 0 ] || log "$tag: ${#pids[@]} run(s) under qemu-aarch64 -cpu $cpu"
  for p in "${pids[@]}"; do wait "$p"; done
  # Both runs must have generated what they were asked (no early stop).
  for n in $N_LONG $N_SHORT; do
    local got
    if [ "$engine" = lutra ]; then
      got=$(sed -n 's/.*generated \([0-9]*\) tokens.*/\1/p' "$W/$tag-n$n.log")
    else
      got=$(wc -w < "$W/$tag-n$n.out")
    fi
    [ "$got" = "$n" ] || { echo "decode_step.sh: $tag: $got tokens generated, not $n" >&2; return 1; }
  done
  python3 "$HERE/decode_step.py" count --engine "$engine" --label "$label" --model "$label" \
    --cpu "$cpu" --exe "$exe" --long "$W/$tag-n$N_LONG.bb" "$W/$tag-n$N_LONG.log" \
    --short "$W/$tag-n$N_SHORT.bb" "$W/$tag-n$N_SHORT.log" --steps "$STEPS" \
    --json "$W/$tag.json" | tee "$W/$tag.txt"
  JSONS+=("$W/$tag.json")
}

gcc -O2 -shared -fPIC -o "$W/libbbcount.so" "$HERE/bbcount.c"
JSONS=()

# 1. lutra from this tree: Release, the aarch64 toolchain file, non-PIE executables (block
#    addresses are file addresses). The Debian XNNPACK/cpuinfo/pthreadpool are shared objects.
LB=$BUILD/lutra
if [ -z "${NOLUTRA:-}" ]; then
  [ -f "$LUTRA_DEPS_DIR/aarch64/usr/include/xnnpack.h" ] || "$ROOT/scripts/install-deps.sh" aarch64
  if [ ! -f "$LB/build.ninja" ]; then
    log "configure lutra in $LB"
    $N cmake -S "$ROOT" -B "$LB" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchains/aarch64-linux-gnu.cmake" \
      -DCMAKE_BUILD_TYPE=Release -DLUTRA_BUILD_TESTS=OFF -DLUTRA_BUILD_BENCH=OFF -DLUTRA_BUILD_TOOLS=ON \
      -DCMAKE_EXE_LINKER_FLAGS=-no-pie >"$LB.configure.log" 2>&1 || { tail "$LB.configure.log"; exit 1; }
  fi
  log "build lutra-run ($(git -C "$ROOT" describe --always --dirty))"
  $N ninja -C "$LB" -j2 lutra-run lutra-sysinfo >"$LB.build.log" 2>&1 || { tail -30 "$LB.build.log"; exit 1; }
  git -C "$ROOT" log -1 --format='%H %s' > "$W/lutra-commit.txt"
  for cpu in $CPUS; do
    qemu-aarch64 -cpu "$cpu" -E LD_LIBRARY_PATH="$LIBDIR" "$LB/tools/lutra-sysinfo" > "$W/lutra-sysinfo-$cpu.txt"
    echo "lutra [$cpu]: $(grep '^active ISA' "$W/lutra-sysinfo-$cpu.txt")" >&2
  done
  first=${CPUS%% *}
  for cpu in $CPUS; do
    [ "$cpu" = "$first" ] || diff -q <(sed -n '/^kernel choice/,$p' "$W/lutra-sysinfo-$first.txt") \
      <(sed -n '/^kernel choice/,$p' "$W/lutra-sysinfo-$cpu.txt") >/dev/null ||
      echo "lutra: kernel choice differs between $first and $cpu (see $W/lutra-sysinfo-*.txt)" >&2
  done
fi

# 2. llama.cpp: its CMake Release build, CPU only, -march=armv8.2-a+dotprod, no OpenMP, static
#    libraries; only the llama and ggml libraries, and peer_decode.cc (one thread, greedy)
#    linked static and non-PIE.
PB=$BUILD/llama
if [ -z "${NOPEER:-}" ]; then
  [ -f "$LLAMA/include/llama.h" ] || { echo "decode_step.sh: no llama.cpp at $LLAMA" >&2; exit 1; }
  if [ ! -f "$PB/build.ninja" ]; then
    printf 'set(CMAKE_SYSTEM_NAME Linux)\nset(CMAKE_SYSTEM_PROCESSOR aarch64)\n%s\n%s\n' \
      'set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)' 'set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)' \
      > "$BUILD/llama-aarch64.cmake"
    log "configure llama.cpp in $PB"
    $N cmake -S "$LLAMA" -B "$PB" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$BUILD/llama-aarch64.cmake" \
      -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF \
      -DGGML_CPU_ARM_ARCH=armv8.2-a+dotprod -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF -DLLAMA_CURL=OFF \
      -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
      -DLLAMA_BUILD_SERVER=OFF >"$PB.configure.log" 2>&1 || { tail "$PB.configure.log"; exit 1; }
  fi
  log "build llama.cpp (llama, ggml; ~15 min the first time on 2 cores)"
  $N ninja -C "$PB" -j2 llama ggml >"$PB.build.log" 2>&1 || { tail -30 "$PB.build.log"; exit 1; }
  PEER=$BUILD/peer-decode
  libs=$(find "$PB" -name 'libllama.a' -o -name 'libggml.a' -o -name 'libggml-cpu.a' -o -name 'libggml-base.a')
  if [ ! -x "$PEER" ] || [ "$HERE/peer_decode.cc" -nt "$PEER" ] || [ -n "$(find "$PB" -name '*.a' -newer "$PEER")" ]; then
    $N aarch64-linux-gnu-g++ -std=c++17 -O2 -I"$LLAMA/include" -I"$LLAMA/ggml/include" \
      -c "$HERE/peer_decode.cc" -o "$BUILD/peer_decode.o"
    # Order: llama, then ggml (the registry), ggml-cpu, ggml-base.
    aarch64-linux-gnu-g++ -static -no-pie -o "$PEER" "$BUILD/peer_decode.o" \
      $(echo "$libs" | grep 'libllama.a') $(echo "$libs" | grep '/libggml.a') \
      $(echo "$libs" | grep 'libggml-cpu.a') $(echo "$libs" | grep 'libggml-base.a') -pthread \
      2>"$BUILD/peer-link.log"  # glibc's warning on ggml's dlopen (never called: no backend DL)
  fi
fi

# 3. The runs: N_LONG and N_SHORT tokens from the same prompt, one thread, greedy, EOS ignored.
for model in "${MODELS[@]}"; do
  label=$(basename "$model" .gguf)
  if [ -z "${NOLUTRA:-}" ]; then
    for cpu in $CPUS; do
      pair lutra "$label" "$model" "$cpu" "$LB/tools/lutra-run" -m "$model" -p "$PROMPT" -n '{N}' \
        -t 1 -c "$CTX" --temp 0 --ignore-eos --no-cache
    done
  fi
  if [ -z "${NOPEER:-}" ]; then
    for cpu in $PEER_CPUS; do
      pair llama "$label" "$model" "$cpu" "$PEER" "$model" '{N}' "$PROMPT" "$CTX"
      grep -h '^peer-decode' "$W/llama-$label-$cpu-n$N_LONG.log" >&2 || true
    done
  fi
done

# 4. The table.
python3 "$HERE/decode_step.py" table "${JSONS[@]}" | tee "$W/results.md"
echo "lutra: $(cat "$W/lutra-commit.txt" 2>/dev/null)" | tee -a "$W/results.md"
