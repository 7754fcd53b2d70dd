#!/usr/bin/env bash
# make-riscv64-sysroot.sh DEST [--write-lock]
# Builds DEST/sysroot: a riscv64 Debian-trixie sysroot (glibc, libstdc++, cpuinfo, pthreadpool,
# XNNPACK, GoogleTest, Google Benchmark) for toolchains/riscv64-linux-gnu.cmake. Debian 12 has
# no riscv64 packages, so trixie's are fetched with a private apt configuration in DEST/apt;
# the system's apt setup is not touched. When DEST/sysroot is complete it returns at once
# (LUTRA_DEPS_REFRESH=1 rebuilds it). About 20 MiB of downloads, 170 MB unpacked.
# When the mirror's signed index cannot be fetched, the pinned packages of
# scripts/riscv64-sysroot.lock are downloaded and checked against their SHA256 instead;
# --write-lock rewrites that file from the signed index.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEST=$(realpath -m "${1:?usage: $0 DEST_DIR [--write-lock]}")
WRITE_LOCK=${2:-}
LOCK="$LUTRA_ROOT/scripts/riscv64-sysroot.lock"
SUITE=${LUTRA_RISCV_SUITE:-trixie}
DARCH=riscv64
TRIPLET=riscv64-linux-gnu
STAMP="$DEST/sysroot/.lutra-stamp"
MIRROR=${LUTRA_DEBIAN_MIRROR:-$(awk '$1 == "URIs:" { print $2; exit }' \
  /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ROOTS=(libcpuinfo-dev libpthreadpool-dev libxnnpack-dev libgtest-dev libbenchmark-dev googletest
  libpcre2-dev)
# Not needed to link or run lutra's binaries: host-side tools, sanitizer/OpenMP runtimes.
PRUNE='^(gcc-[0-9]+-base|libc-dev-bin|rpcsvc-proto|libcrypt1|libcrypt-dev|lib(asan|lsan|tsan|ubsan|hwasan)[0-9]+|libgomp1|libitm1)$'

if [ "${LUTRA_DEPS_REFRESH:-0}" != 1 ] && [ -f "$STAMP" ]; then
  log "riscv64 sysroot present: $DEST/sysroot ($(head -1 "$STAMP"))"
  exit 0
fi

mkdir -p "$DEST"/{apt/lists/partial,apt/cache/archives/partial,apt/sources.list.d,debs,build}
APT=(-oAPT::Architecture=$DARCH -oAPT::Architectures=$DARCH -oDir::State::Lists="$DEST/apt/lists"
  -oDir::State::status=/dev/null -oDir::Etc::SourceList=/dev/null
  -oDir::Etc::SourceParts="$DEST/apt/sources.list.d" -oDir::Cache="$DEST/apt/cache"
  -oAcquire::Languages=none -oAPT::Sandbox::User=root -oDebug::NoLocking=1)

private_apt_update() {
  cat >"$DEST/apt/sources.list.d/$SUITE.sources" <<EOS
Types: deb
URIs: $MIRROR
Suites: $SUITE
Components: main
Architectures: $DARCH
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
  # A mirror in the middle of a sync serves index files of the wrong size for a few minutes:
  # retry with growing pauses before giving up (a fresh sysroot has no older lists to use).
  local try
  for try in 1 2 3; do
    apt-get "${APT[@]}" -qq update && return 0
    [ "$try" = 3 ] && return 1
    log "apt-get update of the $SUITE $DARCH index failed (mirror sync?); retry in $((15 * try)) s"
    sleep $((15 * try))
  done
}

# The fallback: PKGS and their debs from the pinned list, each checked against its SHA256.
download_pinned() {
  [ "$SUITE" = trixie ] || die "no pinned package list for $SUITE (scripts/riscv64-sysroot.lock is trixie's)"
  log "warning: the $SUITE $DARCH index could not be fetched; using the pinned packages of $LOCK"
  local p v f size sha dest
  PKGS=()
  while read -r p v f size sha; do
    PKGS+=("$p")
    dest="$DEST/debs/$(basename "$f")"
    if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$sha" ]; then continue; fi
    rm -f "$DEST"/debs/"${p}"_*.deb
    /usr/lib/apt/apt-helper -oAPT::Sandbox::User=root download-file "$MIRROR/$f" "$dest" \
      "SHA256:$sha" >/dev/null || die "$MIRROR/$f: download failed or SHA256 differs from $LOCK"
  done < <(grep -v '^#' "$LOCK")
  log "riscv64 sysroot: ${#PKGS[@]} pinned packages"
}

# --write-lock: the resolved packages as the pinned list (from the signed index only).
write_lock() {
  {
    sed -n '/^#/p' "$LOCK"
    apt-cache "${APT[@]}" show --no-all-versions "${PKGS[@]}" |
      awk '$1 == "Package:" { p = $2 } $1 == "Version:" { v = $2 } $1 == "Filename:" { f = $2 }
           $1 == "Size:" { s = $2 } $1 == "SHA256:" { print p, v, f, s, $2 }'
  } >"$LOCK.new"
  mv "$LOCK.new" "$LOCK"
  log "wrote $LOCK (${#PKGS[@]} packages)"
}

# PKGS = the Depends/Pre-Depends closure of ROOTS (first alternative of each OR group), minus
# PRUNE, walked one apt-cache call per level.
resolve() {
  local gccv p
  gccv=$(apt-cache "${APT[@]}" depends gcc |
    awk '$1 == "Depends:" && $2 ~ /^gcc-[0-9]+$/ { sub("gcc-", "", $2); print $2; exit }')
  local -A seen=()
  local queue=("${ROOTS[@]}" "libstdc++-$gccv-dev") fresh
  PKGS=()
  while [ ${#queue[@]} -gt 0 ]; do
    fresh=()
    for p in "${queue[@]}"; do
      [[ -n ${seen[$p]:-} || $p =~ $PRUNE ]] && continue
      seen[$p]=1
      PKGS+=("$p")
      fresh+=("$p")
    done
    [ ${#fresh[@]} -gt 0 ] || break
    mapfile -t queue < <(apt-cache "${APT[@]}" depends --no-recommends --no-suggests \
      --no-conflicts --no-breaks --no-replaces --no-enhances "${fresh[@]}" |
      awk '/^ *\|?(Pre)?Depends:/ { if (!alt && $2 !~ /^</) print $2; alt = ($1 ~ /^\|/) }')
  done
  log "riscv64 sysroot: ${#PKGS[@]} packages"
}

# Downloads the debs not already in DEST/debs at the wanted version.
download() {
  local p v f need=()
  local -A ver=()
  while read -r p v; do ver[$p]=$v; done < <(apt-cache "${APT[@]}" show --no-all-versions \
    "${PKGS[@]}" | awk '$1 == "Package:" { p = $2 } $1 == "Version:" { print p, $2 }')
  for p in "${PKGS[@]}"; do
    f=$(ls "$DEST"/debs/"${p}"_*.deb 2>/dev/null | head -1 || true)
    if [ -n "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "${ver[$p]}" ]; then continue; fi
    rm -f "$DEST"/debs/"${p}"_*.deb
    need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    log "downloading ${#need[@]} riscv64 debs"
    local try
    for try in 1 2 3; do
      (cd "$DEST/debs" && apt-get "${APT[@]}" -qq download "${need[@]}") && break
      [ "$try" = 3 ] && die "downloading the riscv64 debs failed 3 times"
      sleep $((15 * try))
    done
  fi
}

extract() {
  local s="$DEST/sysroot.new" p
  rm -rf "$s"
  mkdir -p "$s"
  for p in "${PKGS[@]}"; do
    [ "$p" = googletest ] || dpkg-deb -x "$DEST"/debs/"${p}"_*.deb "$s"
  done
  # Trixie is merged-/usr: the ELF interpreter is /lib/ld-linux-riscv64-lp64d.so.1.
  ln -sfn usr/lib "$s/lib"
  rm -rf "$s"/usr/share/{doc,man,lintian,gdb,bug} "$s/usr/src" "$s/usr/lib/cmake/cpuinfo"
  find "$s" -xtype l -delete # links into pruned packages
}

# Debian's GCC-built libgtest.a does not link with lld on riscv64 ("relocation refers to a
# symbol in a discarded section"): rebuild it with clang from the googletest deb's sources.
rebuild_gtest() {
  local b="$DEST/build/gtest" g lib
  rm -rf "$b"
  mkdir -p "$b"
  dpkg-deb -x "$DEST"/debs/googletest_*.deb "$b/src"
  g="$b/src/usr/src/googletest/googletest"
  local cxx=(clang++-19 --target=$TRIPLET --sysroot="$DEST/sysroot.new" -march=rv64gc -O2 -fPIC
    -DGTEST_HAS_PTHREAD=1 -I"$g/include" -I"$g")
  "${cxx[@]}" -c "$g/src/gtest-all.cc" -o "$b/gtest-all.o" &
  local pid=$!
  "${cxx[@]}" -c "$g/src/gtest_main.cc" -o "$b/gtest_main.o"
  wait $pid
  lib="$DEST/sysroot.new/usr/lib/$TRIPLET"
  rm -f "$lib/libgtest.a" "$lib/libgtest_main.a"
  llvm-ar-19 rcs "$lib/libgtest.a" "$b/gtest-all.o"
  llvm-ar-19 rcs "$lib/libgtest_main.a" "$b/gtest_main.o"
}

# Links a cpuinfo probe and runs it with and without V: proves sysroot, linker and qemu fit.
selftest() {
  local probe="$DEST/build/probe" out
  printf '%s\n' '#include <cpuinfo.h>' '#include <cstdio>' \
    'int main() { if (!cpuinfo_initialize()) return 1; std::printf("%d\n", (int)cpuinfo_has_riscv_v()); }' \
    >"$probe.cc"
  clang++-19 --target=$TRIPLET --sysroot="$DEST/sysroot.new" -march=rv64gc -fuse-ld=lld -O2 \
    "$probe.cc" -lcpuinfo -o "$probe"
  out=$(RVV=1 "$LUTRA_ROOT/toolchains/qemu-riscv64-rvv" "$DEST/sysroot.new" "$probe")
  [ "$out" = 1 ] || die "riscv64 sysroot selftest: cpuinfo did not see V under qemu v=true"
  out=$(RVV=0 "$LUTRA_ROOT/toolchains/qemu-riscv64-rvv" "$DEST/sysroot.new" "$probe")
  [ "$out" = 0 ] || die "riscv64 sysroot selftest: cpuinfo saw V under qemu v=false"
}

start=$(date +%s%N)
if private_apt_update; then
  resolve
  [ "$WRITE_LOCK" = --write-lock ] && write_lock
  download
else
  [ "$WRITE_LOCK" = --write-lock ] && die "--write-lock needs the signed $SUITE index"
  download_pinned
fi
extract
rebuild_gtest
selftest
rm -rf "$DEST/sysroot"
mv "$DEST/sysroot.new" "$DEST/sysroot"
printf '%s %s, %s packages\n' "$SUITE" "$(date -u +%F)" "${#PKGS[@]}" >"$STAMP"
log "riscv64 sysroot ready: $DEST/sysroot ($(du -sh "$DEST/sysroot" | cut -f1), $(secs_since "$start"))"
