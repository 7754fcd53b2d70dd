# Cross toolchain for 64-bit RISC-V Linux (RVA22/RVA23 boards with RVV 1.0, and rv64gc cores
# without V). clang-19 + lld-19 against the Debian-trixie sysroot that
# `scripts/install-deps.sh riscv64` builds in $LUTRA_DEPS_DIR/riscv64/sysroot (default
# <repo>/.deps/riscv64; LUTRA_DEPS_DIR as -D or environment variable). GCC 12 has no
# <riscv_vector.h>, hence clang.
#   cmake -S . -B build-riscv64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/riscv64-linux-gnu.cmake
# Baseline is -march=rv64gc: only the riscv_rvv.cc kernel files are compiled with V
# (cmake/LutraIsa.cmake) and chosen at run time, so the binaries also run on cores without V.
# ctest runs the tests under qemu-riscv64 via toolchains/qemu-riscv64-rvv: RVV_VLEN=128|256|...
# selects the vector length, RVV=0 a core without V.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(LUTRA_RISCV_TRIPLET riscv64-linux-gnu)

if(NOT LUTRA_DEPS_DIR)
  if(DEFINED ENV{LUTRA_DEPS_DIR})
    set(LUTRA_DEPS_DIR "$ENV{LUTRA_DEPS_DIR}")
  else()
    get_filename_component(LUTRA_DEPS_DIR "${CMAKE_CURRENT_LIST_DIR}/../.deps" ABSOLUTE)
  endif()
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LUTRA_DEPS_DIR)
set(CMAKE_SYSROOT "${LUTRA_DEPS_DIR}/riscv64/sysroot")
if(NOT EXISTS "${CMAKE_SYSROOT}/usr/include/xnnpack.h")
  message(FATAL_ERROR "No riscv64 sysroot in ${CMAKE_SYSROOT}: run scripts/install-deps.sh riscv64")
endif()

set(CMAKE_LIBRARY_ARCHITECTURE ${LUTRA_RISCV_TRIPLET})
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_AR llvm-ar-19)
set(CMAKE_RANLIB llvm-ranlib-19)
foreach(lang C CXX ASM)
  set(CMAKE_${lang}_COMPILER_TARGET ${LUTRA_RISCV_TRIPLET})
  set(CMAKE_${lang}_FLAGS_INIT "-march=rv64gc")
endforeach()
foreach(kind EXE SHARED MODULE)
  set(CMAKE_${kind}_LINKER_FLAGS_INIT "-fuse-ld=lld")
endforeach()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${CMAKE_SYSROOT}/usr/lib/${LUTRA_RISCV_TRIPLET}/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")

set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/qemu-riscv64-rvv" "${CMAKE_SYSROOT}")
