# What a machine of a cluster gets: the node and ctl programs (installed in
# nodes/CMakeLists.txt), an example configuration per role, the systemd
# unit, and two Debian packages built from one build with CPack:
#
#   cpack -G DEB --config build/CPackConfig.cmake   # in any directory
#
#   retrain      retrain-node, retrain-ctl, /etc/retrain/<role>.ini
#                (conffiles), retrain-node@.service, the `retrain` system
#                user and /var/lib/retrain (postinst)
#   retrain-dev  headers, static libraries and the CMake package of the
#                client contract (what `cmake --install` gave before)
#
# `cmake --install` into a prefix installs the programs, the client package
# and the role examples under share/retrain/; the /etc files, the unit and
# the Debian docs are only part of the package (EXCLUDE_FROM_ALL).

set(RETRAIN_ROLES all coordinator monitor worker)
set(RETRAIN_DEB_SOURCE "${PROJECT_SOURCE_DIR}/cmake/deb")
foreach(role IN LISTS RETRAIN_ROLES)
  list(APPEND retrain_role_files "${PROJECT_SOURCE_DIR}/config/roles/${role}.ini")
endforeach()

install(FILES ${retrain_role_files} "${PROJECT_SOURCE_DIR}/config/retrain.ini"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/retrain" COMPONENT node)
install(FILES "${PROJECT_SOURCE_DIR}/config/systemd/retrain-node@.service"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/retrain/systemd" COMPONENT node)

# Package-only files, at the places Debian expects them.
install(FILES ${retrain_role_files}
  DESTINATION "/etc/retrain" COMPONENT node EXCLUDE_FROM_ALL)
install(FILES "${PROJECT_SOURCE_DIR}/config/systemd/retrain-node@.service"
  DESTINATION "/lib/systemd/system" COMPONENT node EXCLUDE_FROM_ALL)

# Who the packages name as their maintainer; set it to your team's address.
set(RETRAIN_DEB_MAINTAINER "retrain developers <retrain-dev@example.org>"
    CACHE STRING "Maintainer field of the Debian packages")
# Debian wants a copyright file and a compressed changelog per package.
set(retrain_changelog "${PROJECT_BINARY_DIR}/deb/changelog")
string(TIMESTAMP retrain_build_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${retrain_changelog}"
"retrain (${PROJECT_VERSION}) unstable; urgency=medium

  * Built from the retrain source tree; see README.md for what changed.

 -- ${RETRAIN_DEB_MAINTAINER}  ${retrain_build_date}
")
execute_process(COMMAND gzip -9nf "${retrain_changelog}"
                RESULT_VARIABLE retrain_gzip_rc)
if(NOT retrain_gzip_rc EQUAL 0)
  message(FATAL_ERROR "cannot gzip ${retrain_changelog}")
endif()
foreach(pkg IN ITEMS retrain retrain-dev)
  if(pkg STREQUAL "retrain")
    set(component node)
  else()
    set(component dev)
  endif()
  install(FILES "${RETRAIN_DEB_SOURCE}/copyright" "${retrain_changelog}.gz"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/${pkg}"
    COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()
install(FILES "${PROJECT_SOURCE_DIR}/README.md"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/retrain"
  COMPONENT node EXCLUDE_FROM_ALL)

# /etc files are conffiles: an upgrade keeps what the administrator changed.
set(retrain_conffiles "${PROJECT_BINARY_DIR}/deb/conffiles")
file(WRITE "${retrain_conffiles}" "")
foreach(role IN LISTS RETRAIN_ROLES)
  file(APPEND "${retrain_conffiles}" "/etc/retrain/${role}.ini\n")
endforeach()

set(CPACK_PACKAGE_NAME retrain)
set(CPACK_PACKAGE_VENDOR "retrain developers")
set(CPACK_PACKAGE_CONTACT "${RETRAIN_DEB_MAINTAINER}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL node dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_NODE_PACKAGE_NAME retrain)
set(CPACK_DEBIAN_NODE_PACKAGE_SECTION net)
# Shared libraries (CAF, spdlog, fmt, SQLite, OpenSSL, jemalloc, Boost.JSON)
# come from dpkg-shlibdeps; adduser is what postinst runs.
set(CPACK_DEBIAN_NODE_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_NODE_PACKAGE_DEPENDS "adduser")
# First line: the synopsis; CPack indents the rest.
set(CPACK_DEBIAN_NODE_DESCRIPTION
"decides when ML models must be retrained and runs the retraining
retrain watches the online quality of deployed ML models and decides,
model by model, when one must be retrained. It runs the retraining on a
pool of workers that scales across machines and records every new version
in a model registry. This package holds retrain-node, retrain-ctl, an
example configuration per role in /etc/retrain and the systemd unit
retrain-node@.service.")
set(CPACK_DEBIAN_NODE_PACKAGE_CONTROL_EXTRA
    "${RETRAIN_DEB_SOURCE}/postinst;${RETRAIN_DEB_SOURCE}/prerm;${RETRAIN_DEB_SOURCE}/postrm;${retrain_conffiles}")
set(CPACK_DEBIAN_NODE_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME retrain-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libcaf-dev (>= 0.17.6)")
set(CPACK_DEBIAN_DEV_DESCRIPTION
"client contract of retrain for C++ Actor Framework applications
Headers, static libraries and the CMake package (find_package(retrain))
with which other CAF 0.17 applications send metric events and batches to
retrain's ingest.")

include(CPack)
