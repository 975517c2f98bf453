find_package(GTest REQUIRED)
include(GoogleTest)
# islet_test(NAME SOURCES... LIBS ...): one GoogleTest binary, registered with ctest.
function(islet_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
endfunction()
