# Sourced by the scripts in this folder: repository paths, target names, apt helpers.
# shellcheck shell=bash
LUTRA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Cross-target dependencies live in $LUTRA_DEPS_DIR/<target> (gitignored by default).
LUTRA_DEPS_DIR=${LUTRA_DEPS_DIR:-$LUTRA_ROOT/.deps}
export LUTRA_DEPS_DIR
LUTRA_TARGETS=(native aarch64 armhf riscv64)

log() { printf '\033[1m[lutra]\033[0m %s\n' "$*"; }
die() { printf '[lutra] error: %s\n' "$*" >&2; exit 1; }

# Expands "all" and checks target names; prints one target per line.
expand_targets() {
  local t
  [ $# -gt 0 ] || set -- all
  for t in "$@"; do
    case $t in
      all) printf '%s\n' "${LUTRA_TARGETS[@]}" ;;
      native | aarch64 | armhf | riscv64) printf '%s\n' "$t" ;;
      *) die "unknown target '$t' (known: all ${LUTRA_TARGETS[*]})" ;;
    esac
  done
}

# Toolchain file of a cross target (empty for native).
toolchain_file() {
  case $1 in
    aarch64) echo "$LUTRA_ROOT/toolchains/aarch64-linux-gnu.cmake" ;;
    armhf) echo "$LUTRA_ROOT/toolchains/arm-linux-gnueabihf.cmake" ;;
    riscv64) echo "$LUTRA_ROOT/toolchains/riscv64-linux-gnu.cmake" ;;
    *) echo "" ;;
  esac
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Packages (name or name:arch) from the arguments that dpkg does not have installed.
missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || printf '%s\n' "$p"
  done
}

_LUTRA_APT_UPDATED=0
apt_update_once() {
  if [ "$_LUTRA_APT_UPDATED" = 0 ]; then
    log "apt-get update"
    # A mirror in the middle of a sync fails single index files; retry, then go on with what
    # was fetched (the install that follows fails clearly if a needed package is missing).
    local try
    for try in 1 2 3; do
      as_root apt-get update -qq && break
      [ "$try" = 3 ] && log "warning: apt-get update incomplete, continuing" || sleep 5
    done
    _LUTRA_APT_UPDATED=1
  fi
}

# Installs whatever of the given packages is missing; does nothing (and needs no network)
# when all are present.
apt_install() {
  local need
  mapfile -t need < <(missing_packages "$@")
  [ ${#need[@]} -gt 0 ] || return 0
  apt_update_once
  log "apt-get install ${need[*]}"
  local out
  out=$(mktemp)
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    die "apt-get install ${need[*]} failed"
  fi
  rm -f "$out"
}

secs_since() {
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# The command that runs a binary of a cross target on this machine, as the toolchain file's
# CMAKE_CROSSCOMPILING_EMULATOR does (empty for native).
emulator_cmd() {
  case $1 in
    aarch64) echo "$LUTRA_ROOT/toolchains/qemu-user-run qemu-aarch64 cortex-a53 $LUTRA_DEPS_DIR/aarch64/usr/lib/aarch64-linux-gnu" ;;
    armhf) echo "$LUTRA_ROOT/toolchains/qemu-user-run qemu-arm cortex-a7 $LUTRA_DEPS_DIR/armhf/usr/lib/arm-linux-gnueabihf" ;;
    riscv64) echo "$LUTRA_ROOT/toolchains/qemu-riscv64-rvv $LUTRA_DEPS_DIR/riscv64/sysroot" ;;
    *) echo "" ;;
  esac
}

# Sanitizer builds keep line tables only (-gline-tables-only instead of -g): the reports' stack
# traces still name file and line, and full debug info made the two builds slower to compile
# and link for nothing the CI reads. -O1 (the sanitizers' documented level) instead of -O2:
# the instrumented AVX-512 kernel files compiled in half the time (x86_avx512vnni.cc 24 -> 12 s).
LUTRA_SANITIZER_DEBUG_FLAGS=("-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG"
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG")

# Configures BUILD (once) with clang-19, ASan + UBSan (no recovery) and the libFuzzer targets:
# the build of scripts/sanitize.sh and scripts/fuzz.sh. Installs what it needs.
configure_sanitized() {
  local build=$1 flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  apt_install cmake ninja-build pkg-config clang-19 libclang-rt-19-dev libxnnpack-dev \
    libcpuinfo-dev libpthreadpool-dev libgtest-dev libbenchmark-dev libpcre2-dev
  [ -f "$build/build.ninja" ] && return 0
  log "configure $build (clang-19, ASan + UBSan, libFuzzer targets)"
  CC=clang-19 CXX=clang++-19 cmake -S "$LUTRA_ROOT" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${LUTRA_SANITIZER_DEBUG_FLAGS[@]}" -DLUTRA_BUILD_FUZZ=ON -DLUTRA_BUILD_BENCH=OFF \
    -DLUTRA_BUILD_TOOLS=OFF -DLUTRA_WERROR=ON "-DCMAKE_C_FLAGS=$flags" \
    "-DCMAKE_CXX_FLAGS=$flags" >/dev/null
}
