# The host libraries as a CMake package (docs/driver.md, "Using the library"):
#   cmake --install build --prefix PREFIX
#   find_package(tessera REQUIRED)   # with CMAKE_PREFIX_PATH=PREFIX
#   target_link_libraries(app PRIVATE tessera::tessera_driver)
# Public headers go to PREFIX/include/tessera/{gen,ref,dev,driver}, the static libraries to
# PREFIX/lib, the package files to PREFIX/lib/cmake/tessera.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(tsr_pkg_targets tessera_gen tessera_ref tessera_iss tessera_dev tessera_driver)
foreach(t IN LISTS tsr_pkg_targets)
  target_include_directories(${t} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()
# tsr_warnings only appears as a link-only dependency of the static libraries.
install(TARGETS ${tsr_pkg_targets} tsr_warnings EXPORT TesseraTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/gen/include/tessera ${PROJECT_SOURCE_DIR}/sw/include/tessera
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT TesseraTargets NAMESPACE tessera:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tessera)
file(WRITE ${CMAKE_BINARY_DIR}/pkg/tesseraConfig.cmake
     "include(CMakeFindDependencyMacro)\n"
     "find_dependency(fmt)\nfind_dependency(tomlplusplus)\nfind_dependency(nlohmann_json)\n"
     "include(\"\${CMAKE_CURRENT_LIST_DIR}/TesseraTargets.cmake\")\n")
write_basic_package_version_file(${CMAKE_BINARY_DIR}/pkg/tesseraConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/pkg/tesseraConfig.cmake ${CMAKE_BINARY_DIR}/pkg/tesseraConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tessera)

# Test: install into the build tree, then configure, build and run a small consumer project.
add_test(NAME driver/cmake_package
         COMMAND ${CMAKE_COMMAND} -DBUILD=${CMAKE_BINARY_DIR} -DSRC=${PROJECT_SOURCE_DIR}
                 -DMODEL=${PROJECT_SOURCE_DIR}/sw/models/hello_world_int8.tflite
                 -P ${PROJECT_SOURCE_DIR}/tb/driver/consumer/run.cmake)
set_tests_properties(driver/cmake_package PROPERTIES LABELS driver TIMEOUT 300
                     PASS_REGULAR_EXPRESSION "consumer: 3 ops")
