# Install rules and the CMake package `retrain` for other CAF apps:
#
#   cmake --install build --prefix P
#   # in the other project, with -DCMAKE_PREFIX_PATH=P:
#   find_package(retrain REQUIRED)
#   target_link_libraries(app PRIVATE retrain::messages CAF::io)
#   # or, to send events straight to the owners of their shards:
#   target_link_libraries(app PRIVATE retrain::client)
#
# Installs the wire contract (messages' headers and library), the cluster
# client (`retrain::client`, <retrain/cluster_client.hpp>), the std-only
# domain library it links (retrain_core and its headers), FindCAF.cmake (Debian's
# CAF ships no package of its own) and retrainConfig.cmake with its version
# file and exported targets, namespace `retrain::`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RETRAIN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/retrain"
    CACHE STRING "Where the retrain CMake package is installed")

# Exported as retrain::core, retrain::messages and retrain::client.
set_target_properties(retrain_core PROPERTIES EXPORT_NAME core)
set_target_properties(retrain_messages PROPERTIES EXPORT_NAME messages)
set_target_properties(retrain_client PROPERTIES EXPORT_NAME client)

install(TARGETS retrain_core retrain_messages retrain_client
  EXPORT retrainTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT dev
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT dev
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT dev
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# The header trees merge into <prefix>/include/retrain/.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/messages/retrain"
                  "${PROJECT_SOURCE_DIR}/core/retrain"
                  "${PROJECT_SOURCE_DIR}/client/retrain"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT dev
  FILES_MATCHING PATTERN "*.hpp")

install(EXPORT retrainTargets
  NAMESPACE retrain::
  FILE retrainTargets.cmake
  DESTINATION "${RETRAIN_INSTALL_CMAKEDIR}" COMPONENT dev)

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/retrainConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/retrainConfig.cmake"
  INSTALL_DESTINATION "${RETRAIN_INSTALL_CMAKEDIR}")
# 0.x: a minor release may change the wire contract.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/retrainConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)

install(FILES
  "${PROJECT_BINARY_DIR}/retrainConfig.cmake"
  "${PROJECT_BINARY_DIR}/retrainConfigVersion.cmake"
  "${CMAKE_CURRENT_LIST_DIR}/FindCAF.cmake"
  DESTINATION "${RETRAIN_INSTALL_CMAKEDIR}" COMPONENT dev)
