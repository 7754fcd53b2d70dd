# Cross toolchain for 32-bit ARM Linux with hard float (Raspberry Pi OS 32-bit, ARMv7 boards).
# Only the NEON kernel files get -mfpu=neon-vfpv4 (cmake/LutraIsa.cmake): the rest keeps
# Debian's armhf baseline, so the binaries still start on cores without NEON.
# Uses GCC (g++-arm-linux-gnueabihf) and the dependencies that `scripts/install-deps.sh armhf` puts into
# $LUTRA_DEPS_DIR/armhf (default <repo>/.deps/armhf; LUTRA_DEPS_DIR as -D or environment variable).
#   cmake -S . -B build-armhf -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake
# ctest runs the tests under qemu-arm (QEMU_CPU=<cpu> to choose the CPU, default cortex-a7).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)

if(NOT LUTRA_DEPS_DIR)
  if(DEFINED ENV{LUTRA_DEPS_DIR})
    set(LUTRA_DEPS_DIR "$ENV{LUTRA_DEPS_DIR}")
  else()
    get_filename_component(LUTRA_DEPS_DIR "${CMAKE_CURRENT_LIST_DIR}/../.deps" ABSOLUTE)
  endif()
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LUTRA_DEPS_DIR)
set(LUTRA_DEPS_PREFIX "${LUTRA_DEPS_DIR}/armhf/usr")
if(NOT EXISTS "${LUTRA_DEPS_PREFIX}/include/xnnpack.h")
  message(FATAL_ERROR "No armhf dependencies in ${LUTRA_DEPS_PREFIX}: run scripts/install-deps.sh armhf")
endif()
# The private prefix comes first; GoogleTest and Benchmark are the multiarch packages in /usr.
list(PREPEND CMAKE_PREFIX_PATH "${LUTRA_DEPS_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/qemu-user-run" qemu-arm cortex-a7
    "${LUTRA_DEPS_PREFIX}/lib/arm-linux-gnueabihf")
