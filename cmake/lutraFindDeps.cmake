# Imported targets for lutra's dependencies, from Debian packages or any prefix on
# CMAKE_PREFIX_PATH / the toolchain's sysroot:
#   lutra_deps::cpuinfo     (Debian's cpuinfo CMake config points at a wrong path: not used)
#   lutra_deps::pthreadpool (ships no CMake config and no .pc)
#   lutra_deps::xnnpack     (ships no CMake config and no .pc)
#   lutra_deps::pcre2       (the 8-bit PCRE2 library, for the BPE pre-tokenizers)
# Also installed with the package, so that consumers of the static liblutra.a resolve the same
# targets (see lutraConfig.cmake.in).
include_guard(GLOBAL)

function(_lutra_import_dep target header library)
  if(TARGET ${target})
    return()
  endif()
  string(MAKE_C_IDENTIFIER "${target}" var)
  find_path(${var}_INCLUDE_DIR ${header})
  find_library(${var}_LIBRARY NAMES ${library})
  if(NOT ${var}_INCLUDE_DIR OR NOT ${var}_LIBRARY)
    message(FATAL_ERROR
      "lutra needs ${library} (header ${header}): found include='${${var}_INCLUDE_DIR}' "
      "library='${${var}_LIBRARY}'. In lutra's tree: run scripts/install-deps.sh for this "
      "target. Using an installed lutra: install ${library}'s development package or add its "
      "prefix to CMAKE_PREFIX_PATH.")
  endif()
  add_library(${target} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${${var}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${var}_INCLUDE_DIR}")
  message(STATUS "lutra: ${library}: ${${var}_LIBRARY}")
endfunction()

find_package(Threads REQUIRED)
_lutra_import_dep(lutra_deps::pthreadpool pthreadpool.h pthreadpool)
set_property(TARGET lutra_deps::pthreadpool APPEND PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads)
_lutra_import_dep(lutra_deps::cpuinfo cpuinfo.h cpuinfo)
# The shared cpuinfo needs nothing more; a static libcpuinfo.a also needs libclog.
find_library(lutra_deps_clog_LIBRARY NAMES clog)
get_target_property(_lutra_cpuinfo_lib lutra_deps::cpuinfo IMPORTED_LOCATION)
if(_lutra_cpuinfo_lib MATCHES "\\.a$" AND lutra_deps_clog_LIBRARY)
  set_property(TARGET lutra_deps::cpuinfo APPEND PROPERTY INTERFACE_LINK_LIBRARIES "${lutra_deps_clog_LIBRARY}")
endif()
_lutra_import_dep(lutra_deps::xnnpack xnnpack.h XNNPACK)
set_property(TARGET lutra_deps::xnnpack APPEND PROPERTY INTERFACE_LINK_LIBRARIES
  lutra_deps::pthreadpool lutra_deps::cpuinfo)
_lutra_import_dep(lutra_deps::pcre2 pcre2.h pcre2-8)
