# Cross toolchain for 64-bit ARM Linux: Raspberry Pi 3/4/5 with a 64-bit OS, ARM boards,
# phones running Linux. Kernels for NEON, dotprod, fp16 and i8mm are all compiled in and chosen
# at run time.
# Uses GCC (g++-aarch64-linux-gnu) and the dependencies that `scripts/install-deps.sh aarch64` puts into
# $LUTRA_DEPS_DIR/aarch64 (default <repo>/.deps/aarch64; LUTRA_DEPS_DIR as -D or environment variable).
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake
# ctest runs the tests under qemu-aarch64 (QEMU_CPU=<cpu> to choose the CPU, default cortex-a53).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT LUTRA_DEPS_DIR)
  if(DEFINED ENV{LUTRA_DEPS_DIR})
    set(LUTRA_DEPS_DIR "$ENV{LUTRA_DEPS_DIR}")
  else()
    get_filename_component(LUTRA_DEPS_DIR "${CMAKE_CURRENT_LIST_DIR}/../.deps" ABSOLUTE)
  endif()
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LUTRA_DEPS_DIR)
set(LUTRA_DEPS_PREFIX "${LUTRA_DEPS_DIR}/aarch64/usr")
if(NOT EXISTS "${LUTRA_DEPS_PREFIX}/include/xnnpack.h")
  message(FATAL_ERROR "No aarch64 dependencies in ${LUTRA_DEPS_PREFIX}: run scripts/install-deps.sh aarch64")
endif()
# The private prefix comes first; GoogleTest and Benchmark are the multiarch packages in /usr.
list(PREPEND CMAKE_PREFIX_PATH "${LUTRA_DEPS_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/qemu-user-run" qemu-aarch64 cortex-a53
    "${LUTRA_DEPS_PREFIX}/lib/aarch64-linux-gnu")
