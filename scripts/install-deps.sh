#!/usr/bin/env bash
# install-deps.sh [native|aarch64|armhf|riscv64|all]...   (default: native)
# Installs what building and testing lutra for the given targets needs, on Debian 12 / Ubuntu
# as root (or with sudo). Idempotent: when everything is present it only checks and returns.
#   native   compilers, CMake, Ninja and the -dev packages from the distribution
#   aarch64  g++-aarch64-linux-gnu, qemu-user, :arm64 GoogleTest/Benchmark (multiarch), and
#            XNNPACK/pthreadpool/cpuinfo :arm64 extracted into $LUTRA_DEPS_DIR/aarch64 (their
#            :arm64 packages cannot be co-installed with the amd64 ones)
#   armhf    the same for arm-linux-gnueabihf / :armhf into $LUTRA_DEPS_DIR/armhf
#   riscv64  clang-19, lld-19, qemu-user, and a Debian-trixie riscv64 sysroot in
#            $LUTRA_DEPS_DIR/riscv64 (scripts/make-riscv64-sysroot.sh)
# LUTRA_DEPS_DIR defaults to <repo>/.deps. LUTRA_DEPS_REFRESH=1 re-downloads cross packages.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD_TOOLS=(cmake ninja-build pkg-config)
NATIVE_PKGS=(g++ libxnnpack-dev libcpuinfo-dev libpthreadpool-dev libbenchmark-dev libgtest-dev
  libpcre2-dev)
# Extracted into the private prefix rather than installed (see the header).
PREFIX_PKGS=(libxnnpack0 libxnnpack-dev libpthreadpool0 libpthreadpool-dev libcpuinfo0 libcpuinfo-dev
  libpcre2-8-0 libpcre2-dev)

add_dpkg_arch() {
  if ! dpkg --print-foreign-architectures | grep -qx "$1"; then
    log "dpkg --add-architecture $1"
    as_root dpkg --add-architecture "$1"
    _LUTRA_APT_UPDATED=0 # the new architecture's package lists are not there yet
  fi
}

# "pkg=version" lines of the candidates of PREFIX_PKGS for a Debian architecture (one apt call).
candidates() {
  apt-cache show --no-all-versions "${PREFIX_PKGS[@]/%/:$1}" 2>/dev/null |
    awk '$1 == "Package:" { p = $2 } $1 == "Version:" { print p "=" $2 }'
}

# Downloads PREFIX_PKGS for a Debian architecture and unpacks them into DEST (a private
# prefix; DEST/usr is what the toolchain file searches). Skipped when DEST's stamp lists
# the same versions apt would download now.
extract_prefix() {
  local darch=$1 dest=$2 p want tmp
  want=$(candidates "$darch")
  if [ "$(wc -l <<<"$want")" != ${#PREFIX_PKGS[@]} ]; then
    apt_update_once
    want=$(candidates "$darch")
  fi
  [ "$(wc -l <<<"$want")" = ${#PREFIX_PKGS[@]} ] ||
    die "apt does not know all of ${PREFIX_PKGS[*]} for $darch (is the archive reachable?)"
  if [ "${LUTRA_DEPS_REFRESH:-0}" != 1 ] && [ -f "$dest/.lutra-stamp" ] &&
    [ "$(cat "$dest/.lutra-stamp")" = "$want" ]; then
    log "$darch prefix up to date: $dest"
    return 0
  fi
  log "downloading ${PREFIX_PKGS[*]} ($darch) into $dest"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get -qq -oAPT::Sandbox::User=root download "${PREFIX_PKGS[@]/%/:$darch}")
  rm -rf "$dest"
  mkdir -p "$dest"
  for p in "$tmp"/*.deb; do dpkg-deb -x "$p" "$dest"; done
  # Debian's cpuinfo CMake config is broken (wrong paths) and lutra does not use it; remove
  # it so that nothing in the prefix can pick it up by accident.
  rm -rf "$dest/usr/lib/cmake/cpuinfo" "$dest/usr/share/doc"
  rm -rf "$tmp"
  printf '%s' "$want" >"$dest/.lutra-stamp"
}

install_native() {
  apt_install "${BUILD_TOOLS[@]}" "${NATIVE_PKGS[@]}"
}

install_arm() { # target debian-arch triplet
  local target=$1 darch=$2 triplet=$3
  apt_install "${BUILD_TOOLS[@]}" "g++-$triplet" qemu-user
  add_dpkg_arch "$darch"
  # GoogleTest and Benchmark co-install as multiarch packages; they also bring the target's
  # libc and libstdc++ whose loader qemu-user uses (no -L needed).
  apt_install "libgtest-dev:$darch" "libbenchmark-dev:$darch"
  extract_prefix "$darch" "$LUTRA_DEPS_DIR/$target"
}

install_riscv64() {
  apt_install "${BUILD_TOOLS[@]}" clang-19 lld-19 llvm-19 qemu-user debian-archive-keyring
  "$LUTRA_ROOT/scripts/make-riscv64-sysroot.sh" "$LUTRA_DEPS_DIR/riscv64"
}

main() {
  local t start
  [ $# -gt 0 ] || set -- native
  for t in $(expand_targets "$@"); do
    start=$(date +%s%N)
    case $t in
      native) install_native ;;
      aarch64) install_arm aarch64 arm64 aarch64-linux-gnu ;;
      armhf) install_arm armhf armhf arm-linux-gnueabihf ;;
      riscv64) install_riscv64 ;;
    esac
    log "deps for $t ready ($(secs_since "$start"))"
  done
}

main "$@"
