# Installs tapegrad into a scratch prefix and builds tests/consumer against it with find_package(tapegrad).
set(_prefix ${CMAKE_BINARY_DIR}/install-test)
add_test(NAME Install.FindPackageConsumer
  COMMAND ${CMAKE_COMMAND}
    -DBUILD_DIR=${CMAKE_BINARY_DIR} -DPREFIX=${_prefix}
    -DSOURCE=${CMAKE_CURRENT_SOURCE_DIR}/consumer -DCXX=${CMAKE_CXX_COMPILER}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run.cmake)
set_tests_properties(Install.FindPackageConsumer PROPERTIES PASS_REGULAR_EXPRESSION "grad 6 params 2")
