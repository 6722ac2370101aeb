# The Python package built on its own, by pip through scikit-build-core
# (pyproject.toml): `pip install ./bindings/python`, or from an sdist.
#
# The extension links, in this order of preference:
# - an installed libquackpipe found by pkg-config (QP_PYTHON_LIBRARY=system
#   or auto); the module gets an RUNPATH to that library's directory when it
#   is not a system one, so the wheel runs without LD_LIBRARY_PATH;
# - else the library built here from source (QP_PYTHON_LIBRARY=bundled or
#   auto): the library's tree around this directory (a git checkout) or the
#   copy an sdist carries (libquackpipe/), linked statically into the
#   extension, so the wheel needs nothing of libquackpipe at run time.
# Pass the choice with `pip install --config-settings=cmake.define.QP_PYTHON_LIBRARY=system`.

set(QP_PYTHON_LIBRARY auto CACHE STRING "libquackpipe to link: auto, system or bundled")
set_property(CACHE QP_PYTHON_LIBRARY PROPERTY STRINGS auto system bundled)

find_package(SWIG 4.0 REQUIRED COMPONENTS python)
find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Module)
find_package(PkgConfig REQUIRED)

# An sdist carries its own copies (made by build_backend/); a checkout uses
# the originals beside this directory.
foreach(_candidate ${CMAKE_CURRENT_SOURCE_DIR}/libquackpipe ${CMAKE_CURRENT_SOURCE_DIR}/../..)
  if(NOT QP_SOURCE_DIR AND EXISTS ${_candidate}/include/quackpipe.h)
    get_filename_component(QP_SOURCE_DIR ${_candidate} ABSOLUTE)
  endif()
endforeach()
foreach(_candidate ${CMAKE_CURRENT_SOURCE_DIR}/swig ${CMAKE_CURRENT_SOURCE_DIR}/../swig)
  if(NOT QP_SWIG_DIR AND EXISTS ${_candidate}/quackpipe.i)
    get_filename_component(QP_SWIG_DIR ${_candidate} ABSOLUTE)
  endif()
endforeach()
if(NOT QP_SWIG_DIR)
  message(FATAL_ERROR "quackpipe.i not found in ${CMAKE_CURRENT_SOURCE_DIR}/swig nor "
                      "${CMAKE_CURRENT_SOURCE_DIR}/../swig: build from a libquackpipe "
                      "checkout or from an sdist made by `python -m build`")
endif()

if(NOT QP_PYTHON_LIBRARY STREQUAL "bundled")
  pkg_check_modules(QP_SYSTEM IMPORTED_TARGET libquackpipe)
  if(NOT QP_SYSTEM_FOUND AND QP_PYTHON_LIBRARY STREQUAL "system")
    message(FATAL_ERROR "QP_PYTHON_LIBRARY=system but pkg-config finds no libquackpipe "
                        "(install libquackpipe-dev, or set PKG_CONFIG_PATH to <prefix>/lib/pkgconfig)")
  endif()
endif()

set(QP_PY_PACKAGE ${CMAKE_CURRENT_BINARY_DIR}/quackpipe)
include(${CMAKE_CURRENT_SOURCE_DIR}/cmake/qp_python_module.cmake)

if(QP_SYSTEM_FOUND)
  message(STATUS "quackpipe: linking the installed libquackpipe ${QP_SYSTEM_VERSION} "
                 "(${QP_SYSTEM_LIBDIR})")
  qp_python_module(qp_python_capi ${QP_PY_PACKAGE} ${QP_SWIG_DIR} ${QP_SYSTEM_INCLUDEDIR})
  target_link_libraries(qp_python_capi PRIVATE PkgConfig::QP_SYSTEM)
  # The loader finds a library in a system directory by itself; anywhere
  # else the module records the directory it was built against.
  get_filename_component(_qp_libdir "${QP_SYSTEM_LIBDIR}" REALPATH)
  list(FIND CMAKE_C_IMPLICIT_LINK_DIRECTORIES "${_qp_libdir}" _qp_implicit)
  if(_qp_implicit EQUAL -1)
    set_target_properties(qp_python_capi PROPERTIES INSTALL_RPATH "${_qp_libdir}")
  endif()
else()
  if(NOT QP_SOURCE_DIR)
    message(FATAL_ERROR "pkg-config finds no installed libquackpipe, and there are no "
                        "library sources to build it from (neither ${CMAKE_CURRENT_SOURCE_DIR}"
                        "/libquackpipe nor ../..): install libquackpipe-dev or build from a checkout")
  endif()
  message(STATUS "quackpipe: building libquackpipe from ${QP_SOURCE_DIR} (static, inside the module)")
  set(QP_BUILD_PROGRAMS OFF CACHE BOOL "" FORCE)
  set(QP_BUILD_BENCH OFF CACHE BOOL "" FORCE)
  set(QP_BUILD_PYTHON OFF CACHE BOOL "" FORCE)
  set(QP_BUILD_GO OFF CACHE BOOL "" FORCE)
  set(BUILD_TESTING OFF CACHE BOOL "" FORCE)
  add_subdirectory(${QP_SOURCE_DIR} libquackpipe EXCLUDE_FROM_ALL)
  qp_python_module(qp_python_capi ${QP_PY_PACKAGE} ${QP_SWIG_DIR} ${QP_SOURCE_DIR}/include)
  target_link_libraries(qp_python_capi PRIVATE quackpipe_static) # brings its dependencies
endif()

# The pure-Python files come from quackpipe/ (scikit-build-core packs them);
# these are the generated ones. Only this component is installed: the
# library's own install rules (headers, .pc) stay out of the wheel.
install(TARGETS qp_python_capi LIBRARY DESTINATION quackpipe COMPONENT python)
install(FILES ${QP_PY_PACKAGE}/capi.py DESTINATION quackpipe COMPONENT python)
