# Android arm64-v8a through the NDK's own toolchain file.
# NOT TESTED on the build machine of this project: the NDK is not packaged by Debian and could
# not be downloaded there. Written from the NDK's CMake documentation.
#   ANDROID_NDK=/path/to/android-ndk-r26 cmake -S . -B build-android -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=toolchains/android-arm64.cmake \
#     -DCMAKE_PREFIX_PATH=/path/to/android-arm64-prefix   # XNNPACK, cpuinfo, pthreadpool, gtest
# The NDK ships none of lutra's dependencies: build XNNPACK (with its cpuinfo and pthreadpool)
# for arm64-v8a and install them into a prefix first. Tests can be run with
# `adb push build-android/tests/lutra-kernels-tests /data/local/tmp && adb shell ...`.
if(NOT ANDROID_NDK)
  if(DEFINED ENV{ANDROID_NDK})
    set(ANDROID_NDK "$ENV{ANDROID_NDK}")
  elseif(DEFINED ENV{ANDROID_NDK_HOME})
    set(ANDROID_NDK "$ENV{ANDROID_NDK_HOME}")
  else()
    message(FATAL_ERROR "Set ANDROID_NDK (environment or -D) to the Android NDK directory")
  endif()
endif()
if(NOT EXISTS "${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
  message(FATAL_ERROR "${ANDROID_NDK} is not an Android NDK (no build/cmake/android.toolchain.cmake)")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ANDROID_NDK)

set(ANDROID_ABI arm64-v8a CACHE STRING "Android ABI")
# API 28: getauxval(AT_HWCAP2) for i8mm detection and C++20 libc++ support.
set(ANDROID_PLATFORM android-28 CACHE STRING "Minimum Android API level")
set(ANDROID_STL c++_static CACHE STRING "C++ runtime")
include("${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
# The NDK toolchain restricts find_* to its sysroot; let CMAKE_PREFIX_PATH entries through.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
