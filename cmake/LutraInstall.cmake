# `cmake --install`: liblutra.a, the public headers, the CMake package (lutraConfig.cmake,
# version file, exported lutra::lutra, and lutraFindDeps.cmake that it uses to find the
# dependencies) and lutra.pc for pkg-config (`pkg-config --static --libs lutra`).
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LUTRA_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/lutra")

install(TARGETS lutra EXPORT lutraTargets ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(FILES
  "${PROJECT_SOURCE_DIR}/engine/include/lutra/lutra.h"
  "${PROJECT_SOURCE_DIR}/engine/include/lutra/lutra.hpp"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/lutra")
install(EXPORT lutraTargets NAMESPACE lutra:: DESTINATION "${LUTRA_INSTALL_CMAKEDIR}")

# The C++ runtime libraries the C++ driver adds and the C driver does not (stdc++, m for GCC):
# a C-only consumer links liblutra.a with the C driver and needs them named.
set(LUTRA_CXX_RUNTIME "")
foreach(_lib IN LISTS CMAKE_CXX_IMPLICIT_LINK_LIBRARIES)
  if(NOT _lib IN_LIST CMAKE_C_IMPLICIT_LINK_LIBRARIES AND NOT _lib IN_LIST LUTRA_CXX_RUNTIME)
    list(APPEND LUTRA_CXX_RUNTIME "${_lib}")
  endif()
endforeach()

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/lutraConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/lutraConfig.cmake" INSTALL_DESTINATION "${LUTRA_INSTALL_CMAKEDIR}")
# 0.x: a new minor version may change the API.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/lutraConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/lutraConfig.cmake"
  "${PROJECT_BINARY_DIR}/lutraConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/lutraFindDeps.cmake"
  DESTINATION "${LUTRA_INSTALL_CMAKEDIR}")

# lutra.pc: Libs.private lists the libraries this build found (with -L for directories the
# compiler does not search by itself, e.g. a cross target's dependency prefix), then the C++
# runtime, since a C program links liblutra.a with the C driver.
set(_lutra_pc_dirs "")
set(_lutra_pc_libs "")
foreach(dep IN ITEMS lutra_deps::xnnpack lutra_deps::pthreadpool lutra_deps::cpuinfo
                    lutra_deps::pcre2)
  get_target_property(_loc ${dep} IMPORTED_LOCATION)
  get_target_property(_extra ${dep} INTERFACE_LINK_LIBRARIES)
  foreach(_file IN ITEMS ${_loc} ${_extra})
    if(NOT IS_ABSOLUTE "${_file}")
      continue()  # targets (Threads::Threads, other lutra_deps::) are handled on their own
    endif()
    get_filename_component(_dir "${_file}" DIRECTORY)
    get_filename_component(_name "${_file}" NAME)
    string(REGEX REPLACE "^lib([^.]+)\\..*$" "\\1" _name "${_name}")
    if(NOT _dir IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES AND NOT "-L${_dir}" IN_LIST _lutra_pc_dirs)
      list(APPEND _lutra_pc_dirs "-L${_dir}")
    endif()
    list(APPEND _lutra_pc_libs "-l${_name}")
  endforeach()
endforeach()
foreach(_lib IN LISTS LUTRA_CXX_RUNTIME)
  list(APPEND _lutra_pc_libs "-l${_lib}")
endforeach()
list(APPEND _lutra_pc_libs -pthread)
list(JOIN _lutra_pc_dirs " " _dirs)
list(JOIN _lutra_pc_libs " " _libs)
string(STRIP "${_dirs} ${_libs}" LUTRA_PC_LIBS_PRIVATE)
# Relocatable: the prefix is found from the .pc file's own place (pkg-config's ${pcfiledir}), so
# `cmake --install --prefix DIR` and copying the tree elsewhere both work.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(LUTRA_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _up "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" _up "${_up}")
  set(LUTRA_PC_PREFIX "\${pcfiledir}/${_up}")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/lutra.pc.in" "${PROJECT_BINARY_DIR}/lutra.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/lutra.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
