# The services' systemd units and configuration (component "bin", with the
# quackpipe command), and the Debian packages CPack builds from the install
# components:
#   cmake --build build && (cd build && cpack -G DEB)
#   -> libquackpipe0 (lib), libquackpipe-dev (dev), quackpipe (bin)
# tests/packaging/deb.sh builds, installs and uses them.
if(NOT CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  return() # a subproject (the Python package's build): no services, no packages
endif()

set(_qp_systemd ${PROJECT_SOURCE_DIR}/contrib/systemd)
file(GLOB _qp_units CONFIGURE_DEPENDS ${_qp_systemd}/quackpipe-*.service)
file(GLOB _qp_dropins CONFIGURE_DEPENDS ${_qp_systemd}/quackpipe-.service.d/*.conf)
file(GLOB _qp_env_files CONFIGURE_DEPENDS ${_qp_systemd}/env/*.env)
install(FILES ${_qp_units} DESTINATION lib/systemd/system COMPONENT bin)
install(FILES ${_qp_dropins} DESTINATION lib/systemd/system/quackpipe-.service.d COMPONENT bin)
install(FILES ${PROJECT_SOURCE_DIR}/docs/services.md ${PROJECT_SOURCE_DIR}/docs/monitoring.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT bin)
# The Grafana dashboard and the Prometheus scrape example (docs/monitoring.md).
install(FILES ${PROJECT_SOURCE_DIR}/contrib/grafana/quackpipe.json
              ${PROJECT_SOURCE_DIR}/contrib/prometheus/prometheus.yml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/quackpipe COMPONENT bin)

# The configuration goes to /etc/quackpipe in the package (prefix /usr) and
# to <prefix>/etc/quackpipe anywhere else (`cmake --install --prefix DIR`
# writes nothing outside DIR): decided when installing, not when configuring.
set(_qp_etc_files ${PROJECT_SOURCE_DIR}/examples/quackpipe.conf ${_qp_env_files})
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(_qp_etc /etc/quackpipe)
  else()
    set(_qp_etc \"\${CMAKE_INSTALL_PREFIX}/etc/quackpipe\")
  endif()
  file(INSTALL ${_qp_etc_files} DESTINATION \"\${_qp_etc}\")
" COMPONENT bin)

# ---- Debian packages ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME quackpipe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY ${PROJECT_DESCRIPTION})
set(CPACK_PACKAGE_CONTACT "libquackpipe maintainers <maintainers@libquackpipe.invalid>")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/libquackpipe/libquackpipe")
# Installed with DESTDIR under /usr: the /etc files above keep their path.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
# Debian packages ship stripped binaries (a RelWithDebInfo build's debug
# information would make them ten times larger and slow to compress).
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL lib dev bin)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# Run-time dependencies from the ELF files themselves (dpkg-shlibdeps);
# libquackpipe0 declares its own shlibs so that dependents get ">= version".
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

set(_qp_deb_version "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libquackpipe${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIB_DESCRIPTION "scan-event pipeline library for DePIN networks
 libquackpipe: the scan-event codec, a Kafka producer and consumer-group runner,
 the fraud rule engine and the ClickHouse batch inserter behind one C API.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libquackpipe-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The .pc file's Requires.private and the CMake package look the library's
# own dependencies up: their -dev packages come along.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libquackpipe${PROJECT_VERSION_MAJOR} (= ${_qp_deb_version}), librdkafka-dev, libcjson-dev, libcurl4-openssl-dev | libcurl-dev, zlib1g-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION "scan-event pipeline library for DePIN networks (development files)
 Headers, the static library, the pkg-config file (libquackpipe) and the CMake
 package (find_package(quackpipe)) of libquackpipe.")

set(CPACK_DEBIAN_BIN_PACKAGE_NAME quackpipe)
set(CPACK_DEBIAN_BIN_PACKAGE_SECTION net)
set(CPACK_COMPONENT_BIN_DESCRIPTION "scan-event pipeline services: ingest, fraud-svc, ch-writer, alerts
 The quackpipe command (libquackpipe linked in) and systemd units for its
 long-running services, with their configuration in /etc/quackpipe.")
# /etc/quackpipe is the administrator's: dpkg keeps local edits on upgrade.
set(_qp_conffiles "")
foreach(f ${_qp_etc_files})
  get_filename_component(_name ${f} NAME)
  string(APPEND _qp_conffiles "/etc/quackpipe/${_name}\n")
endforeach()
file(WRITE ${PROJECT_BINARY_DIR}/deb/bin/conffiles "${_qp_conffiles}")
set(CPACK_DEBIAN_BIN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/deb/bin/conffiles)

include(CPack)
