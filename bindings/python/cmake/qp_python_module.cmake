# qp_python_module(TARGET PACKAGE_DIR SWIG_DIR INCLUDE_DIR): runs SWIG on
# SWIG_DIR/quackpipe.i (headers from INCLUDE_DIR) and builds the extension
# module TARGET as PACKAGE_DIR/_capi.<soabi>.so next to the generated
# capi.py. Shared by the in-tree build (bindings/python/CMakeLists.txt) and
# the standalone one that pip runs (bindings/python/standalone.cmake), so
# the two cannot drift. The caller links the library.
function(qp_python_module target package_dir swig_dir include_dir)
  file(GLOB_RECURSE _inputs CONFIGURE_DEPENDS ${swig_dir}/*.i ${include_dir}/*.h)
  set(_wrap ${CMAKE_CURRENT_BINARY_DIR}/capi_wrap.c)
  add_custom_command(
    OUTPUT ${_wrap} ${package_dir}/capi.py
    COMMAND ${CMAKE_COMMAND} -E make_directory ${package_dir}
    COMMAND ${SWIG_EXECUTABLE} -python -Wall -I${include_dir} -I${swig_dir}
            -outdir ${package_dir} -o ${_wrap} ${swig_dir}/quackpipe.i
    DEPENDS ${_inputs}
    COMMENT "SWIG: Python wrapper from quackpipe.i"
    VERBATIM)
  Python3_add_library(${target} MODULE WITH_SOABI ${_wrap})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME _capi
    LIBRARY_OUTPUT_DIRECTORY ${package_dir})
  target_include_directories(${target} PRIVATE ${include_dir})
endfunction()
